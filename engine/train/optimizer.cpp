#include "engine/train/optimizer.h"

#include <cmath>

namespace tandem {
namespace {

bool decays(const std::string& name, const torch::Tensor& p) {
  // Biases and LayerNorm parameters are 1-D; embeddings and matrices decay.
  return p.dim() >= 2 && name.find("bias") == std::string::npos;
}

}  // namespace

std::unique_ptr<torch::optim::AdamW> make_adamw(
    const std::vector<std::pair<std::string, torch::Tensor>>& named_parameters, const AdamWSettings& s) {
  std::vector<torch::Tensor> with_decay, without_decay;
  for (const auto& [name, p] : named_parameters) (decays(name, p) ? with_decay : without_decay).push_back(p);
  auto options = [&](double wd) {
    return torch::optim::AdamWOptions(s.lr).betas({s.beta1, s.beta2}).eps(s.eps).weight_decay(wd);
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  // A pipeline stage may hold no decayed (or no undecayed) parameter at all.
  if (!with_decay.empty())
    groups.emplace_back(with_decay, std::make_unique<torch::optim::AdamWOptions>(options(s.weight_decay)));
  if (!without_decay.empty())
    groups.emplace_back(without_decay, std::make_unique<torch::optim::AdamWOptions>(options(0.0)));
  return std::make_unique<torch::optim::AdamW>(groups, options(s.weight_decay));
}

void set_learning_rate(torch::optim::Optimizer& opt, double lr) {
  for (auto& group : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
}

double local_grad_norm_squared(const std::vector<torch::Tensor>& params) {
  double total = 0;
  for (const auto& p : params)
    if (p.grad().defined()) total += p.grad().to(torch::kDouble).pow(2).sum().item<double>();
  return total;
}

double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm,
                      const std::function<double(double)>& global_norm_squared) {
  const double norm = std::sqrt(global_norm_squared(local_grad_norm_squared(params)));
  if (max_norm > 0 && norm > max_norm) {
    torch::NoGradGuard no_grad;
    const double scale = max_norm / (norm + 1e-6);
    for (const auto& p : params)
      if (p.grad().defined()) p.grad().mul_(scale);
  }
  return norm;
}

}  // namespace tandem
