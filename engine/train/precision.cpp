#include "engine/train/precision.h"

#include "engine/error.h"

#include <ATen/autocast_mode.h>

namespace tandem {

std::optional<torch::ScalarType> autocast_dtype(bool bf16, bool fp16) {
  if (bf16 && fp16) throw UsageError("--bf16 True and --fp16 True: choose one mixed precision");
  if (bf16) return torch::kBFloat16;
  if (fp16) return torch::kFloat16;
  return std::nullopt;
}

AutocastGuard::AutocastGuard(c10::DeviceType device, std::optional<torch::ScalarType> dtype) : device_(device) {
  if (!dtype) return;
  active_ = true;
  was_enabled_ = at::autocast::is_autocast_enabled(device_);
  previous_dtype_ = at::autocast::get_autocast_dtype(device_);
  at::autocast::set_autocast_enabled(device_, true);
  at::autocast::set_autocast_dtype(device_, *dtype);
  at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
  if (!active_) return;
  // The cast weights are cached while autocast is on; the outermost guard drops them.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(device_, was_enabled_);
  at::autocast::set_autocast_dtype(device_, previous_dtype_);
}

LossScaler::LossScaler(torch::Device device, LossScalerSettings settings)
    : settings_(settings),
      scale_(torch::full({1}, settings.initial_scale, torch::TensorOptions().dtype(torch::kFloat32).device(device))),
      growth_tracker_(torch::zeros({1}, torch::TensorOptions().dtype(torch::kInt32).device(device))) {}

torch::Tensor LossScaler::unscale(const std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  auto found_inf = torch::zeros({1}, scale_.options());
  std::vector<torch::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (!grads.empty()) torch::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf, scale_.reciprocal());
  return found_inf;
}

void LossScaler::update(const torch::Tensor& found_inf) {
  torch::_amp_update_scale_(scale_, growth_tracker_, found_inf, settings_.growth_factor, settings_.backoff_factor,
                            settings_.growth_interval);
}

NamedTensors LossScaler::state() const {
  return {{"scaler.scale", scale_}, {"scaler.growth_tracker", growth_tracker_}};
}

void LossScaler::load_state(const std::map<std::string, torch::Tensor>& saved, const std::string& source) {
  for (const auto& [key, target] : {std::pair{"scaler.scale", &scale_}, std::pair{"scaler.growth_tracker", &growth_tracker_}}) {
    const auto it = saved.find(key);
    if (it == saved.end() || it->second.numel() != 1)
      throw RuntimeFailure(source + ": no float16 loss scale (" + key + ") in this checkpoint; it was written by a run "
                           "without --fp16 True");
    target->copy_(it->second.reshape({1}));
  }
}

}  // namespace tandem
