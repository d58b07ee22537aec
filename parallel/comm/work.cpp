#include "parallel/comm/work.h"

#include <cstdio>

#include "parallel/comm/runtime.h"

namespace tandem::comm {

std::string format_seconds(std::chrono::milliseconds duration) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", double(duration.count()) / 1000.0);
  return text;
}

std::string timeout_message(const std::string& what, std::chrono::milliseconds timeout) {
  return process_label() + ": " + what + " timed out after " + format_seconds(timeout) +
         " waiting for peers; a rank may have died or diverged";
}

}  // namespace tandem::comm
