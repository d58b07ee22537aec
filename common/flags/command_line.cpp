#include "common/flags/command_line.h"

#include "common/flags/flag_values.h"
#include "engine/error.h"

#include <algorithm>

namespace tandem::flags {
namespace {

// Edit distance, with '-' and '_' counted as the same character.
size_t distance(const std::string& a, const std::string& b) {
  auto same = [](char x, char y) { return x == y || ((x == '-' || x == '_') && (y == '-' || y == '_')); };
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same(a[i - 1], b[j - 1]) ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string see_help(const CommandInfo& info) { return "see " + info.program + " --help"; }

}  // namespace

int find_flag(const std::vector<FlagSpec>& specs, const std::string& key) {
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == key) return static_cast<int>(i);
    if (std::find(specs[i].aliases.begin(), specs[i].aliases.end(), key) != specs[i].aliases.end())
      return static_cast<int>(i);
  }
  return -1;
}

std::string closest_flag(const std::vector<FlagSpec>& specs, const std::string& key) {
  std::string best;
  size_t best_distance = std::max<size_t>(1, std::min<size_t>(3, key.size() / 3)) + 1;
  for (const auto& spec : specs) {
    std::vector<std::string> names{spec.name};
    names.insert(names.end(), spec.aliases.begin(), spec.aliases.end());
    for (const auto& n : names)
      if (const size_t d = distance(key, n); d < best_distance) {
        best_distance = d;
        best = spec.name;  // suggest the canonical spelling
      }
  }
  return best;
}

ScannedLine scan_command_line(const CommandInfo& info, const std::vector<FlagSpec>& specs,
                              const std::vector<std::string>& argv) {
  ScannedLine line;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& token = argv[i];
    const bool dashed = token.size() > 1 && token[0] == '-';
    if (!dashed || token == "--") {
      if (info.positional.empty() || token == "--")
        throw UsageError("unexpected argument \"" + token + "\" (expected --key value pairs; " + see_help(info) + ")");
      if (!line.positionals.empty())
        throw UsageError("one " + info.positional + " at a time: got " + line.positionals.front() + " and " + token);
      line.positionals.push_back(token);
      continue;
    }
    std::string key = token.substr(token.rfind("--", 0) == 0 ? 2 : 1), value;
    bool has_value = false;
    if (auto eq = key.find('='); eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
      has_value = true;
    }
    const int index = token.rfind("--", 0) == 0 ? find_flag(specs, key) : -1;
    if (index < 0) {
      const std::string guess = closest_flag(specs, key);
      throw UsageError("unknown " + info.flag_noun + " " + token.substr(0, token.find('=')) +
                       (guess.empty() ? "" : " (did you mean --" + guess + "?)") + " (" + see_help(info) + ")");
    }
    const FlagSpec& spec = specs[static_cast<size_t>(index)];
    if (spec.kind == Kind::Switch) {
      if (has_value) throw UsageError("--" + key + " takes no value (it is a switch: present or absent)");
      line.flags.push_back({static_cast<size_t>(index), key, "True"});
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argv.size() || argv[i + 1].rfind("--", 0) == 0)
        throw UsageError("--" + key + " needs a value" +
                         (spec.kind == Kind::String && spec.metavar.empty() ? "" : " (" + expected_value(spec) + ")"));
      value = argv[++i];
    }
    line.flags.push_back({static_cast<size_t>(index), key, value});
  }
  return line;
}

}  // namespace tandem::flags
