#pragma once
// Text to typed value for one flag, with the range and choice checks its spec
// asks for. Every refusal is a UsageError that names the flag, quotes the
// text and says what was expected, e.g.
//   --block_size: "0" is out of range (expected an integer >= 1)

#include "common/flags/flag_spec.h"

#include <optional>
#include <string>

namespace tandem::flags {

// Throws UsageError as above.
Value convert_value(const FlagSpec& spec, const std::string& text);

// The spellings of a boolean: True/true/1 and False/false/0.
std::optional<bool> parse_bool_text(const std::string& text);

// What the flag takes, as a phrase: "an integer >= 1", "a number >= 0 and < 1",
// "True or False", "one of text, json".
std::string expected_value(const FlagSpec& spec);

// --help's <...>: "int", "float", "True|False", "text|json", or the metavar.
std::string type_label(const FlagSpec& spec);

// The range alone ("from 1 to 8", ">= 0"), empty when there is none.
std::string range_text(const FlagSpec& spec);

}  // namespace tandem::flags
