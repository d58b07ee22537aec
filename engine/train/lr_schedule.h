#pragma once
// Learning rate as a pure function of the step, as Hugging Face's schedulers:
// linear warm-up to the peak, then linear or cosine decay to zero at the last
// step (or constant). Being a pure function, it needs no state in checkpoints.

#include <string>

namespace tandem {

// Built from TrainArgs (the flag table holds the defaults: --lr_scheduler_type,
// --learning_rate, --warmup_steps), so it keeps none of its own.
struct LrSchedule {
  std::string type;  // linear, cosine, constant, constant_with_warmup
  double peak{};
  int warmup_steps{};
  int total_steps = 1;  // a step count, never 0

  // Throws UsageError for an unknown type.
  void validate() const;
  // The rate used for optimizer step `step` (0-based).
  double at(int step) const;
};

}  // namespace tandem
