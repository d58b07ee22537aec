#pragma once
// Learning rate as a pure function of the step, as Hugging Face's schedulers:
// linear warm-up to the peak, then linear or cosine decay to zero at the last
// step (or constant). Being a pure function, it needs no state in checkpoints.

#include <string>

namespace tandem {

struct LrSchedule {
  std::string type = "linear";  // linear, cosine, constant, constant_with_warmup
  double peak = 5e-5;
  int warmup_steps = 0;
  int total_steps = 1;

  // Throws UsageError for an unknown type.
  void validate() const;
  // The rate used for optimizer step `step` (0-based).
  double at(int step) const;
};

}  // namespace tandem
