#pragma once
// AdamW over named parameters, with weight decay off for biases and norm
// weights (as Hugging Face's Trainer does), and the global-norm clip.
//
// The update is one multi-tensor call per parameter group: ATen's fused AdamW
// kernel (what torch.optim.AdamW(fused=True) runs) or the same arithmetic as
// foreach ops (torch.optim.AdamW(foreach=True)). Neither reads anything back
// to the host, and gradients are zeroed in place, so gradients that are views
// into communication buckets stay views.

#include "engine/checkpoint/safetensors.h"
#include "engine/config/train_args.h"

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace tandem {

// No defaults of its own: adamw_settings() takes them from `tandem train`'s
// flag table (engine/config/train_flags.cpp), the one place they are written.
struct AdamWSettings {
  double lr, beta1, beta2, eps, weight_decay;
};

// The settings `tandem train` runs with; adamw_settings(TrainArgs{}) gives the defaults.
AdamWSettings adamw_settings(const TrainArgs& args);

enum class AdamWKernel {
  Fused,    // at::_fused_adamw_: one kernel for the whole group (CUDA; ATen has a CPU version too)
  Foreach,  // _foreach_* ops: a handful of multi-tensor kernels
};

class AdamW {
 public:
  // Fused on CUDA parameters, foreach on CPU ones, unless `kernel` says otherwise.
  AdamW(const NamedTensors& named_parameters, const AdamWSettings& s, std::optional<AdamWKernel> kernel = {});

  void set_learning_rate(double lr) { settings_.lr = lr; }
  // One update from the parameters' .grad. `found_inf` (a one-element float
  // tensor on the parameters' device, or undefined) skips the update wherever
  // it is non-zero, without the host reading it on the fused path.
  void step(const torch::Tensor& found_inf = {});
  // Zeroes every gradient in place (undefined ones stay undefined).
  void zero_grad();
  int64_t steps_taken() const { return steps_taken_; }

  // "exp_avg.<name>", "exp_avg_sq.<name>" and "step.<name>" for every parameter.
  NamedTensors state() const;
  // Copies a saved state into this optimizer's tensors (on their device).
  // Throws RuntimeFailure naming `source` and the tensor when one is missing or of another shape.
  void load_state(const std::map<std::string, torch::Tensor>& saved, const std::string& source);

 private:
  struct Group {
    double weight_decay;
    std::vector<std::string> names;
    std::vector<torch::Tensor> params, exp_avg, exp_avg_sq, step;  // step: one float per parameter (ATen's layout)
  };
  void step_group(Group& g, const torch::Tensor& found_inf);

  AdamWSettings settings_;
  AdamWKernel kernel_;
  std::vector<Group> groups_;
  int64_t steps_taken_ = 0;
};

// The parameters' gradients with their global norm clipped to max_norm (no
// clip when max_norm <= 0). `local_norm_squared` is this rank's Σ g² as a
// float32 scalar tensor on the gradients' device; `to_global` turns it into
// the job's (identity for replicas, a sum over pipeline stages otherwise).
// Returns the norm before clipping, as a device scalar: reading it is the
// caller's choice (logging steps only).
torch::Tensor clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm,
                             const std::function<torch::Tensor(torch::Tensor)>& to_global);

// Σ g² over the parameters' defined gradients, as a float32 scalar on their
// device (zero on the CPU when there are none).
torch::Tensor grad_norm_squared(const std::vector<torch::Tensor>& params);

}  // namespace tandem
