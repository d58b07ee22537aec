#pragma once
// One number in printf's notation as a std::string ("%.1f ms", "%+.0f%%"),
// for the reports that print tables and lines of figures: tandem bench's
// table and charts, the cluster model's predictions.

#include <cstdio>
#include <string>

namespace tandem {

// `format` holds one double conversion; the text is cut at 63 characters.
inline std::string format_number(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

}  // namespace tandem
