#pragma once
// Plain decimals for metric values: no exponent, no H:MM:SS, so SageMaker
// metric regexes such as `eval_loss.*=\D*(.*?)$` capture a number.

#include <cmath>
#include <algorithm>
#include <cstdio>
#include <string>

namespace tandem {

inline std::string plain_decimal(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  // About 8 significant digits however small the value (0.00000625 stays
  // readable), at least 4 decimals for large ones; trailing zeros go.
  const double magnitude = std::fabs(v);
  int decimals = 4;
  if (magnitude > 0 && magnitude < 1) decimals = std::min(30, 8 - static_cast<int>(std::floor(std::log10(magnitude))) - 1);
  char buf[128];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  std::string s(buf);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

}  // namespace tandem
