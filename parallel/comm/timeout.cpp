#include "parallel/comm/timeout.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "engine/error.h"

namespace tandem::comm {

std::chrono::milliseconds default_timeout() {
  constexpr const char* kVariable = "TANDEM_COMM_TIMEOUT_SECONDS";
  const char* text = std::getenv(kVariable);
  if (text == nullptr || *text == '\0') return std::chrono::seconds(300);
  char* end = nullptr;
  const double seconds = std::strtod(text, &end);
  if (*end != '\0' || !std::isfinite(seconds) || seconds <= 0.0 || seconds > 1e9) {
    throw UsageError(std::string(kVariable) + "=" + text +
                     ": expected a positive number of seconds, e.g. 600");
  }
  return std::chrono::milliseconds(std::max<long long>(1, std::llround(seconds * 1000.0)));
}

}  // namespace tandem::comm
