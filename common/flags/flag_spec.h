#pragma once
// What one command-line flag is, as data: its names, the type of its value,
// the values it accepts, its default and its help line. A FlagTable
// (flag_table.h) is a list of these plus a setter each; parsing, validation
// and --help are all computed from the same list, so they cannot disagree.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tandem::flags {

// The process environment as a value (SM_* defaults read it; tests pass a map).
using Environment = std::map<std::string, std::string>;

enum class Kind {
  Int,     // 32-bit integer
  Float,   // finite double
  Bool,    // True/False as SageMaker renders Python booleans (also true/false/1/0)
  String,  // any text
  Choice,  // one of a fixed list of words
  Bytes,   // a byte count with an optional binary suffix: 8, 4K, 64M, 1G
  Switch,  // no value: present means true (launch's --dry-run)
};

// One end of a numeric range; `strict` excludes the value itself.
struct Bound {
  double value = 0;
  bool strict = false;
};

struct FlagSpec {
  std::string name;                  // without the leading --
  std::vector<std::string> aliases;  // other spellings accepted (SageMaker scripts' hyphens, HF names)
  Kind kind = Kind::String;
  std::vector<std::string> choices;  // Kind::Choice
  std::optional<Bound> lower, upper;  // Int, Float and Bytes
  // The default as the text a user would type, read from the environment when
  // it depends on it; nullopt leaves the field as the Args type has it (an
  // unset optional, an empty path). Defaults go through the same conversion
  // and range check as the command line.
  std::function<std::optional<std::string>(const Environment&)> default_value;
  std::string default_note;  // --help's "(default: ...)" when the default is not a value
  std::string metavar;       // --help's <...> for String flags ("dir", "json|file")
  std::string help;
};

// A converted value; the field that matches the flag's kind is the one set.
struct Value {
  long long integer = 0;  // Int, Bytes
  double number = 0;      // Float
  bool boolean = false;   // Bool, Switch
  std::string text;       // String, Choice
};

// What --help and the error messages say about the command as a whole. The
// optional parts are set by name after construction.
struct CommandInfo {
  explicit CommandInfo(std::string program_, std::string synopsis_ = "[--key value]...", std::string summary_ = "")
      : program(std::move(program_)), synopsis(std::move(synopsis_)), summary(std::move(summary_)) {}

  std::string program;      // "tandem train", "allreduce_bench"
  std::string synopsis;     // after the program name on the usage line
  std::string summary;      // one line, for `tandem --help`
  std::string description;  // paragraphs between the usage line and the flags
  std::string epilogue;     // text after the flags
  std::string flag_noun = "flag";  // "hyperparameter" for train, as SageMaker calls them
  // A positional argument (launch's JOB.json); empty: none accepted.
  std::string positional;
};

}  // namespace tandem::flags
