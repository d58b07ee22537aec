#pragma once
// AdamW over named parameters, with weight decay off for biases and norm
// weights (as Hugging Face's Trainer does), and the global-norm clip.

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tandem {

struct AdamWSettings {
  double lr = 5e-5, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
};

std::unique_ptr<torch::optim::AdamW> make_adamw(
    const std::vector<std::pair<std::string, torch::Tensor>>& named_parameters, const AdamWSettings& s);

void set_learning_rate(torch::optim::Optimizer& opt, double lr);

// Sum of squared gradient entries on this rank (double, so the order of
// summation across layers and ranks matters as little as possible).
double local_grad_norm_squared(const std::vector<torch::Tensor>& params);

// Scales gradients so their global norm is at most max_norm; returns the norm
// before clipping. `global_norm_squared` turns this rank's sum into the global
// one (identity in one process; a sum over pipeline stages otherwise).
double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm,
                      const std::function<double(double)>& global_norm_squared);

}  // namespace tandem
