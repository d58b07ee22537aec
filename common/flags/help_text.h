#pragma once
// `<program> --help`, generated from the same specs the parser reads: every
// flag with its aliases, the type or choices of its value, its range, its help
// line and the default in effect in this environment.

#include "common/flags/flag_spec.h"

#include <string>
#include <vector>

namespace tandem::flags {

// "usage: tandem plan --distribution '<json>'|FILE [--key value]..."
std::string usage_line(const CommandInfo& info);

std::string help_text(const CommandInfo& info, const std::vector<FlagSpec>& specs, const Environment& env);

}  // namespace tandem::flags
