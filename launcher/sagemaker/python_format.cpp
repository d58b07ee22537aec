#include "launcher/sagemaker/python_format.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace tandem::launcher {
namespace {

// repr(str): single quotes unless the text has ' and no ".
std::string python_string_repr(const std::string& text) {
  const bool has_single = text.find('\'') != std::string::npos;
  const bool has_double = text.find('"') != std::string::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (unsigned char c : text) {
    if (c == '\\' || c == quote) {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);  // non-ASCII UTF-8 bytes pass through, as for printable characters
    }
  }
  return out + quote;
}

std::string python_repr(const nlohmann::json& value);

std::string python_container_repr(const nlohmann::json& value) {
  std::string out;
  if (value.is_array()) {
    for (const auto& element : value) out += (out.empty() ? "" : ", ") + python_repr(element);
    return "[" + out + "]";
  }
  for (const auto& item : value.items()) {
    out += (out.empty() ? "" : ", ") + python_string_repr(item.key()) + ": " + python_repr(item.value());
  }
  return "{" + out + "}";
}

std::string python_repr(const nlohmann::json& value) {
  return value.is_string() ? python_string_repr(value.get<std::string>()) : python_str(value);
}

std::string python_json(const nlohmann::json& value, const char* item_separator, const char* key_separator) {
  if (value.is_number_float()) return python_float_repr(value.get<double>());
  if (value.is_array()) {
    std::string out;
    for (const auto& element : value) {
      out += (out.empty() ? "" : item_separator) + python_json(element, item_separator, key_separator);
    }
    return "[" + out + "]";
  }
  if (value.is_object()) {
    std::string out;
    for (const auto& item : value.items()) {
      out += (out.empty() ? "" : item_separator) + python_json(item.key(), item_separator, key_separator) +
             key_separator + python_json(item.value(), item_separator, key_separator);
    }
    return "{" + out + "}";
  }
  // Strings: nlohmann's ensure_ascii escaping is Python's (\uXXXX, lowercase hex,
  // surrogate pairs, \b \f \n \r \t short forms); integers, bools and null agree too.
  return value.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  const std::string scientific(buffer, result.ptr);  // e.g. "-1.2345e-05"
  const size_t e = scientific.find('e');
  const bool negative = scientific[0] == '-';
  std::string digits;
  for (size_t i = negative ? 1 : 0; i < e; ++i) {
    if (scientific[i] != '.') digits += scientific[i];
  }
  const int exponent = std::stoi(scientific.substr(e + 1));
  const int point = exponent + 1;  // digits before the decimal point
  const int count = static_cast<int>(digits.size());
  std::string out = negative ? "-" : "";
  if (point > -4 && point <= 16) {
    if (point <= 0) {
      out += "0." + std::string(-point, '0') + digits;
    } else if (point >= count) {
      out += digits + std::string(point - count, '0') + ".0";
    } else {
      out += digits.substr(0, point) + "." + digits.substr(point);
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (count > 1) out += "." + digits.substr(1);
  char exponent_text[16];
  std::snprintf(exponent_text, sizeof exponent_text, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  return out + exponent_text;
}

std::string python_str(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "None";
    case nlohmann::json::value_t::boolean:
      return value.get<bool>() ? "True" : "False";
    case nlohmann::json::value_t::number_float:
      return python_float_repr(value.get<double>());
    case nlohmann::json::value_t::string:
      return value.get<std::string>();
    case nlohmann::json::value_t::array:
    case nlohmann::json::value_t::object:
      return python_container_repr(value);
    default:
      return value.dump();  // integers
  }
}

std::string python_json_compact(const nlohmann::json& value) { return python_json(value, ",", ":"); }

std::string python_json_dumps(const nlohmann::json& value) { return python_json(value, ", ", ": "); }

}  // namespace tandem::launcher
