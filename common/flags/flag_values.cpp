#include "common/flags/flag_values.h"

#include "engine/error.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace tandem::flags {
namespace {

// Bounds print as the user would type them: 1, 0.5, 1e-08 (the shortest text
// that reads back as the same double, not %.17g's 0.10000000000000001).
std::string number_text(double v) {
  char buf[64];
  if (std::fabs(v) < 1e15 && v == std::floor(v)) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

[[noreturn]] void refuse(const FlagSpec& spec, const std::string& text, const std::string& what) {
  throw UsageError("--" + spec.name + ": \"" + text + "\" " + what);
}

void check_range(const FlagSpec& spec, const std::string& text, double v) {
  const bool low = spec.lower && (spec.lower->strict ? v <= spec.lower->value : v < spec.lower->value);
  const bool high = spec.upper && (spec.upper->strict ? v >= spec.upper->value : v > spec.upper->value);
  if (low || high) refuse(spec, text, "is out of range (expected " + expected_value(spec) + ")");
}

long long to_integer(const FlagSpec& spec, const std::string& text) {
  // strtoll would skip leading spaces and take a prefix; a flag value is the whole text.
  const bool starts_well = !text.empty() && (std::isdigit(static_cast<unsigned char>(text[0])) ||
                                              ((text[0] == '-' || text[0] == '+') && text.size() > 1 &&
                                               std::isdigit(static_cast<unsigned char>(text[1]))));
  char* end = nullptr;
  errno = 0;
  const long long v = starts_well ? std::strtoll(text.c_str(), &end, 10) : 0;
  if (!starts_well || *end != '\0') refuse(spec, text, "is not an integer");
  if (errno == ERANGE || v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
    refuse(spec, text, "is out of range (expected " + expected_value(spec) + " that fits in 32 bits)");
  return v;
}

double to_number(const FlagSpec& spec, const std::string& text) {
  char* end = nullptr;
  const bool starts_well = !text.empty() && !std::isspace(static_cast<unsigned char>(text[0]));
  const double v = starts_well ? std::strtod(text.c_str(), &end) : 0;
  if (!starts_well || *end != '\0') refuse(spec, text, "is not a number");
  // A NaN passes every range check and an infinity poisons every sum; neither is a setting.
  if (!std::isfinite(v)) refuse(spec, text, "is not a finite number");
  return v;
}

// "64M", "4K", "1024": bytes, with binary suffixes.
long long to_bytes(const FlagSpec& spec, const std::string& text) {
  const std::string what = "is not a size (expected e.g. 8, 4K, 64M or 1G)";
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) refuse(spec, text, what);
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  const std::string suffix(end);
  int shift = 0;
  if (suffix == "K") shift = 10;
  else if (suffix == "M") shift = 20;
  else if (suffix == "G") shift = 30;
  else if (!suffix.empty()) refuse(spec, text, what);
  if (errno == ERANGE || value > (static_cast<unsigned long long>(std::numeric_limits<long long>::max()) >> shift))
    refuse(spec, text, "is too large");
  return static_cast<long long>(value << shift);
}

std::string join(const std::vector<std::string>& words, const std::string& separator) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : separator) + w;
  return out;
}

}  // namespace

std::optional<bool> parse_bool_text(const std::string& text) {
  if (text == "True" || text == "true" || text == "1") return true;
  if (text == "False" || text == "false" || text == "0") return false;
  return std::nullopt;
}

std::string range_text(const FlagSpec& spec) {
  const auto& lo = spec.lower;
  const auto& hi = spec.upper;
  if (lo && hi && !lo->strict && !hi->strict) return "from " + number_text(lo->value) + " to " + number_text(hi->value);
  std::string out;
  if (lo) out = std::string(lo->strict ? "> " : ">= ") + number_text(lo->value);
  if (hi) out += std::string(out.empty() ? "" : " and ") + (hi->strict ? "< " : "<= ") + number_text(hi->value);
  return out;
}

std::string expected_value(const FlagSpec& spec) {
  const std::string range = range_text(spec);
  const std::string ranged = range.empty() ? "" : " " + range;
  switch (spec.kind) {
    case Kind::Int: return "an integer" + ranged;
    case Kind::Float: return "a number" + ranged;
    case Kind::Bytes: return "a size in bytes" + ranged + " (8, 4K, 64M, 1G)";
    case Kind::Bool: return "True or False";
    case Kind::Choice: return "one of " + join(spec.choices, ", ");
    case Kind::String: return spec.metavar.empty() ? "text" : spec.metavar;
    case Kind::Switch: return "no value";
  }
  return "";
}

std::string type_label(const FlagSpec& spec) {
  if (!spec.metavar.empty()) return spec.metavar;
  switch (spec.kind) {
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::Bytes: return "bytes";
    case Kind::Bool: return "True|False";
    case Kind::Choice: return join(spec.choices, "|");
    case Kind::String: return "string";
    case Kind::Switch: return "";
  }
  return "";
}

Value convert_value(const FlagSpec& spec, const std::string& text) {
  Value v;
  switch (spec.kind) {
    case Kind::Int:
      v.integer = to_integer(spec, text);
      check_range(spec, text, static_cast<double>(v.integer));
      break;
    case Kind::Bytes:
      v.integer = to_bytes(spec, text);
      check_range(spec, text, static_cast<double>(v.integer));
      break;
    case Kind::Float:
      v.number = to_number(spec, text);
      check_range(spec, text, v.number);
      break;
    case Kind::Bool:
    case Kind::Switch: {
      const auto b = parse_bool_text(text);
      if (!b) refuse(spec, text, "is not a boolean (expected True or False)");
      v.boolean = *b;
      break;
    }
    case Kind::Choice: {
      for (const auto& c : spec.choices)
        if (c == text) {
          v.text = text;
          return v;
        }
      // A choice among True and False (progress_bar's auto|True|False) takes
      // every spelling a Bool flag takes, stored in SageMaker's.
      const bool has_bools = std::count(spec.choices.begin(), spec.choices.end(), "True") &&
                             std::count(spec.choices.begin(), spec.choices.end(), "False");
      if (const auto b = parse_bool_text(text); has_bools && b) {
        v.text = *b ? "True" : "False";
        return v;
      }
      refuse(spec, text, "is not " + expected_value(spec));
    }
    case Kind::String:
      v.text = text;
      break;
  }
  return v;
}

}  // namespace tandem::flags
