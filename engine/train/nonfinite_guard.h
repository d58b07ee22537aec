#pragma once
// Stops a run whose gradients stay NaN or inf. The trainer skips every step
// with a non-finite gradient norm (its weights and optimizer state stay as
// they were, as fp16's loss scaler does on an overflow); this guard counts
// those steps on the device, so steps that do not log never wait for it, and
// check() — on steps that read results anyway — fails once `limit` came in a
// row, naming the step (a limit of 0 never stops). Under fp16 an overflow is the scaler's business until
// the scale has fallen below 1; only then does it count towards the limit.

#include <torch/torch.h>

namespace tandem {

class NonfiniteGuard {
 public:
  NonfiniteGuard(torch::Device device, int limit);

  // `skipped`: 1.0 when step `step` (1-based) was skipped. `scale_before`: the
  // fp16 loss scale the step ran with, or undefined.
  void observe(int step, const torch::Tensor& skipped, const torch::Tensor& scale_before);
  // Throws RuntimeFailure when `limit` counted steps came in a row (a host read).
  void check() const;
  // Steps skipped so far (a host read).
  int skipped() const;

 private:
  int limit_;
  torch::Tensor streak_, total_, tripped_at_;  // float64 scalars on the device
};

}  // namespace tandem
