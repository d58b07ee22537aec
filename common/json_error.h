#pragma once
// Why nlohmann::json refused a text, in words a user can act on: where, and
// what JSON expected there, without the library's "[json.exception...]" tag.
// Every reader of user-written JSON (distribution dicts, job files, SM_*
// values, config.json, /opt/ml/input/config) words its error with this, e.g.
//   distribution: not valid JSON: line 1, column 68: NaN and Infinity are not JSON numbers (write a finite number)
//   job.json: not valid JSON: the number 1e400 is beyond the range of a double
// Header-only: its users (engine, launcher) link nlohmann_json; common/ does not.

#include <nlohmann/json.hpp>

#include <string>

namespace tandem {

inline std::string json_error_reason(const nlohmann::json::exception& e) {
  std::string what = e.what();
  const auto tag_end = what.find("] ");
  if (what.rfind("[json.exception.", 0) == 0 && tag_end != std::string::npos) what = what.substr(tag_end + 2);

  // "number overflow parsing '1e400'": the only range error parsing raises.
  const std::string overflow = "number overflow parsing '";
  if (what.rfind(overflow, 0) == 0) {
    const std::string number = what.substr(overflow.size(), what.rfind('\'') - overflow.size());
    return "the number " + number + " is beyond the range of a double";
  }
  // "parse error at line L, column C: syntax error while parsing value - invalid literal; last read: 'NaN'"
  const std::string at = "parse error at ";
  if (what.rfind(at, 0) == 0) what = what.substr(at.size());
  // The text read since the last token boundary: "N" of NaN, "In" of Infinity.
  const std::string last_read = "; last read: '";
  const auto last = what.rfind(last_read);
  if (last != std::string::npos) {
    std::string token = what.substr(last + last_read.size());
    if (!token.empty() && token.back() == '\'') token.pop_back();
    const auto boundary = token.find_last_of(" \t\r\n:,[{-+");
    const std::string word = boundary == std::string::npos ? token : token.substr(boundary + 1);
    const std::string start = word.substr(0, 2);
    const bool nan_or_infinity = start == "N" || start == "Na" || start == "na" || start == "I" || start == "In" ||
                                 start == "i" || start == "in";
    if (nan_or_infinity) {
      const auto colon = what.find(": ");
      const std::string place = colon == std::string::npos ? "" : what.substr(0, colon) + ": ";
      return place + "NaN and Infinity are not JSON numbers (write a finite number)";
    }
  }
  // "syntax error while parsing value - invalid literal" -> "invalid literal"
  const auto syntax = what.find("syntax error while parsing ");
  const auto dash = syntax == std::string::npos ? std::string::npos : what.find(" - ", syntax);
  if (dash != std::string::npos) what.erase(syntax, dash + 3 - syntax);
  return what;
}

}  // namespace tandem
