#include "engine/train/lr_schedule.h"

#include "engine/error.h"

#include <algorithm>
#include <cmath>

namespace tandem {

void LrSchedule::validate() const {
  if (type != "linear" && type != "cosine" && type != "constant" && type != "constant_with_warmup")
    throw UsageError("--lr_scheduler_type: \"" + type + "\" is not one of linear, cosine, constant, constant_with_warmup");
  if (warmup_steps < 0) throw UsageError("--warmup_steps must be >= 0, got " + std::to_string(warmup_steps));
  if (peak < 0) throw UsageError("--learning_rate must be >= 0");
}

double LrSchedule::at(int step) const {
  if (type == "constant") return peak;
  if (step < warmup_steps) return peak * static_cast<double>(step) / std::max(1, warmup_steps);
  if (type == "constant_with_warmup") return peak;
  const double progress =
      static_cast<double>(step - warmup_steps) / std::max(1, total_steps - warmup_steps);
  if (type == "cosine") return peak * 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
  return peak * std::max(0.0, 1.0 - progress);
}

}  // namespace tandem
