#include "launcher/config/json_fields.h"

#include <climits>
#include <fstream>
#include <sstream>

#include "common/json_error.h"
#include "engine/error.h"

namespace tandem::launcher {

JsonPlace JsonPlace::at(const std::string& key) const {
  return {source, path.empty() ? key : path + "." + key};
}

void JsonPlace::fail(const std::string& what) const {
  throw UsageError(path.empty() ? source + ": " + what : source + ": " + path + ": " + what);
}

std::string describe_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void expect_object(const nlohmann::json& value, const JsonPlace& place) {
  if (!value.is_object()) place.fail("expected a JSON object, got " + describe_json(value));
}

void reject_unknown_keys(const nlohmann::json& object, const std::vector<std::string>& accepted,
                         const JsonPlace& place) {
  for (const auto& item : object.items()) {
    bool known = false;
    for (const auto& name : accepted) known = known || item.key() == name;
    if (known) continue;
    std::string list;
    for (const auto& name : accepted) list += (list.empty() ? "" : ", ") + name;
    throw UsageError(place.source + ": unknown key \"" + place.at(item.key()).path + "\" (expected one of: " +
                     list + ")");
  }
}

int read_int(const nlohmann::json& value, const JsonPlace& place, int min) {
  const std::string expected = "expected an integer >= " + std::to_string(min);
  if (!value.is_number_integer()) place.fail(expected + ", got " + describe_json(value));
  const bool too_big = value.is_number_unsigned() ? value.get<unsigned long long>() > INT_MAX
                                                  : value.get<long long>() > INT_MAX;
  if (too_big) place.fail("expected an integer below 2^31, got " + describe_json(value));
  if (value.get<long long>() < min) place.fail(expected + ", got " + describe_json(value));
  return value.get<int>();
}

bool read_bool(const nlohmann::json& value, const JsonPlace& place) {
  if (!value.is_boolean()) place.fail("expected true or false, got " + describe_json(value));
  return value.get<bool>();
}

double read_number(const nlohmann::json& value, const JsonPlace& place) {
  if (!value.is_number()) place.fail("expected a number, got " + describe_json(value));
  return value.get<double>();
}

std::string read_string(const nlohmann::json& value, const JsonPlace& place) {
  if (!value.is_string()) place.fail("expected a string, got " + describe_json(value));
  return value.get<std::string>();
}

nlohmann::json parse_json_text(const std::string& text, const std::string& source) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
    throw UsageError(source + ": not valid JSON: " + json_error_reason(e));
  }
}

std::string read_text_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw RuntimeFailure(file.string() + ": cannot open for reading");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw RuntimeFailure(file.string() + ": read failed");
  return text.str();
}

}  // namespace tandem::launcher
