#pragma once
// Splits an argv into (flag, value) pairs and positional arguments against a
// list of flag specs, before any value is converted. This is where the
// command line's shape is checked: unknown flags (with a "did you mean"),
// missing values, values given to switches, stray arguments.
//
// Forms accepted: `--key value`, `--key=value`, `--switch`. A value may start
// with a single dash (--max_steps -1) but not with two: SageMaker always
// passes a value, so `--do_eval --seed 1` is a forgotten value, not a value.

#include "common/flags/flag_spec.h"

#include <string>
#include <vector>

namespace tandem::flags {

struct Occurrence {
  size_t flag = 0;       // index into the specs
  std::string spelling;  // as typed, without the dashes
  std::string value;     // "True" for a switch
};

struct ScannedLine {
  std::vector<Occurrence> flags;  // in command-line order; a later one overrides an earlier one
  std::vector<std::string> positionals;
};

// Throws UsageError naming the offending token and pointing at `<program> --help`.
ScannedLine scan_command_line(const CommandInfo& info, const std::vector<FlagSpec>& specs,
                              const std::vector<std::string>& argv);

// The index of the flag named or aliased `key`, or -1.
int find_flag(const std::vector<FlagSpec>& specs, const std::string& key);

// The name or alias closest to `key` (a typo or a hyphen for an underscore),
// or "" when nothing is close enough to be a likely meaning.
std::string closest_flag(const std::vector<FlagSpec>& specs, const std::string& key);

}  // namespace tandem::flags
