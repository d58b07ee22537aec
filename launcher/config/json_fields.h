#pragma once
// Reading user-written JSON (distribution dicts, JOB.json, SM_* values) with
// errors that name the input and the dotted key, e.g.
//   distribution: unknown key "smdistributed.modelparallel.parameters.partition" (expected one of: ...)
//   JOB.json: max_run: expected an integer >= 1, got "1h"
// Every reader throws tandem::UsageError.

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tandem::launcher {

// Where a value sits: the input it came from and its dotted key path.
struct JsonPlace {
  std::string source;  // "distribution", "--mp_parameters", "SM_FRAMEWORK_PARAMS", a file name
  std::string path;    // "" for the input's root

  JsonPlace at(const std::string& key) const;
  // Throws UsageError "<source>: <path>: <what>" ("<source>: <what>" at the root).
  [[noreturn]] void fail(const std::string& what) const;
};

// An object as given, with the place of each key: what the table-driven field
// readers of a dict (model-parallel parameters, JOB.json) read from.
struct JsonObject {
  const nlohmann::json& value;
  const JsonPlace& place;
  bool has(const char* key) const { return value.contains(key); }
  const nlohmann::json& operator[](const char* key) const { return value.at(key); }
  JsonPlace at(const char* key) const { return place.at(key); }
};

// The value as a user wrote it, for "got ..." in messages.
std::string describe_json(const nlohmann::json& value);

void expect_object(const nlohmann::json& value, const JsonPlace& place);
void reject_unknown_keys(const nlohmann::json& object, const std::vector<std::string>& accepted,
                         const JsonPlace& place);

int read_int(const nlohmann::json& value, const JsonPlace& place, int min);
bool read_bool(const nlohmann::json& value, const JsonPlace& place);
double read_number(const nlohmann::json& value, const JsonPlace& place);
std::string read_string(const nlohmann::json& value, const JsonPlace& place);

// JSON text a user supplied; UsageError naming `source` if it does not parse.
nlohmann::json parse_json_text(const std::string& text, const std::string& source);
// A whole file as text; RuntimeFailure naming the file if it cannot be read.
std::string read_text_file(const std::filesystem::path& file);

}  // namespace tandem::launcher
