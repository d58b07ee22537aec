#include "engine/train/nonfinite_guard.h"

#include "engine/error.h"

namespace tandem {

NonfiniteGuard::NonfiniteGuard(torch::Device device, int limit) : limit_(limit) {
  const auto options = torch::TensorOptions().dtype(torch::kFloat64).device(device);
  streak_ = torch::zeros({}, options);
  total_ = torch::zeros({}, options);
  tripped_at_ = torch::zeros({}, options);
}

void NonfiniteGuard::observe(int step, const torch::Tensor& skipped, const torch::Tensor& scale_before) {
  torch::NoGradGuard no_grad;
  const auto s = skipped.reshape({}).to(torch::kFloat64);
  total_.add_(s);
  if (limit_ <= 0) return;  // 0: never stop
  auto counted = s;
  if (scale_before.defined()) counted = counted * scale_before.reshape({}).lt(1.0).to(torch::kFloat64);
  streak_.add_(1.0).mul_(counted);  // a counted step extends the streak, any other ends it
  const auto first_time = tripped_at_.eq(0).logical_and(streak_.ge(limit_));
  tripped_at_.copy_(torch::where(first_time, torch::full({}, static_cast<double>(step), tripped_at_.options()),
                                 tripped_at_));
}

void NonfiniteGuard::check() const {
  const auto at = static_cast<int>(tripped_at_.item<double>());
  if (at == 0) return;
  throw RuntimeFailure("step " + std::to_string(at) + ": the gradient norm was NaN or inf for " +
                       std::to_string(limit_) + " steps in a row (--max_nonfinite_steps " + std::to_string(limit_) +
                       "), so training stops; those steps were skipped and the newest checkpoint is kept");
}

int NonfiniteGuard::skipped() const { return static_cast<int>(total_.item<double>()); }

}  // namespace tandem
