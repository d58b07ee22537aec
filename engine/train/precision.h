#pragma once
// Mixed precision: which dtype the matmuls run in, and the dynamic loss scale
// that float16 needs. Parameters, optimizer state, the loss, softmax and norm
// statistics stay float32 (autocast's policy), so the parameters are the
// master weights.

#include "engine/checkpoint/safetensors.h"

#include <torch/torch.h>

#include <map>
#include <optional>
#include <string>

namespace tandem {

// --bf16 / --fp16 -> the autocast dtype, or none for float32.
std::optional<torch::ScalarType> autocast_dtype(bool bf16, bool fp16);

// Autocast on `device`'s type for the guard's lifetime (CUDA, and the CPU so
// that the same path is tested on machines without GPUs).
class AutocastGuard {
 public:
  AutocastGuard(c10::DeviceType device, std::optional<torch::ScalarType> dtype);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  c10::DeviceType device_;
  bool active_ = false, was_enabled_ = false;
  torch::ScalarType previous_dtype_ = torch::kFloat32;
};

struct LossScalerSettings {
  double initial_scale = 65536.0;  // 2^16, as torch.amp.GradScaler
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int growth_interval = 2000;
};

// torch.amp.GradScaler's dynamic loss scaling, on the device: the loss is
// multiplied by scale() before backward; unscale() divides the gradients and
// sets found_inf when any is inf or NaN; update() halves the scale after an
// overflow and doubles it after growth_interval clean steps. Nothing is read
// back to the host.
class LossScaler {
 public:
  LossScaler(torch::Device device, LossScalerSettings settings = {});

  const torch::Tensor& scale() const { return scale_; }
  // Unscales the gradients in place; returns found_inf (1.0 on overflow), a fresh one-element tensor.
  torch::Tensor unscale(const std::vector<torch::Tensor>& params);
  void update(const torch::Tensor& found_inf);

  NamedTensors state() const;  // "scaler.scale", "scaler.growth_tracker"
  void load_state(const std::map<std::string, torch::Tensor>& saved, const std::string& source);

 private:
  LossScalerSettings settings_;
  torch::Tensor scale_;           // float32, one element
  torch::Tensor growth_tracker_;  // int32, one element: clean steps since the last change
};

}  // namespace tandem
