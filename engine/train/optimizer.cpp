#include "engine/train/optimizer.h"

#include "engine/error.h"

#include <cmath>

namespace tandem {
namespace {

bool decays(const std::string& name, const torch::Tensor& p) {
  // Biases and LayerNorm parameters are 1-D; embeddings and matrices decay.
  return p.dim() >= 2 && name.find("bias") == std::string::npos;
}

std::vector<torch::Tensor> grads_of(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  return grads;
}

}  // namespace

AdamWSettings adamw_settings(const TrainArgs& args) {
  return {args.learning_rate, args.adam_beta1, args.adam_beta2, args.adam_epsilon, args.weight_decay};
}

AdamW::AdamW(const NamedTensors& named_parameters, const AdamWSettings& s, std::optional<AdamWKernel> kernel)
    : settings_(s) {
  const bool cuda = !named_parameters.empty() && named_parameters.front().second.is_cuda();
  kernel_ = kernel.value_or(cuda ? AdamWKernel::Fused : AdamWKernel::Foreach);
  Group with_decay{s.weight_decay, {}, {}, {}, {}, {}}, without_decay{0.0, {}, {}, {}, {}, {}};
  torch::NoGradGuard no_grad;
  for (const auto& [name, p] : named_parameters) {
    Group& g = decays(name, p) ? with_decay : without_decay;
    g.names.push_back(name);
    g.params.push_back(p);
    g.exp_avg.push_back(torch::zeros_like(p, torch::MemoryFormat::Preserve));
    g.exp_avg_sq.push_back(torch::zeros_like(p, torch::MemoryFormat::Preserve));
    g.step.push_back(torch::zeros({}, p.options().dtype(torch::kFloat32)));
  }
  // A pipeline stage may hold no decayed (or no undecayed) parameter at all.
  for (Group* g : {&with_decay, &without_decay})
    if (!g->params.empty()) groups_.push_back(std::move(*g));
}

void AdamW::zero_grad() {
  torch::NoGradGuard no_grad;
  for (auto& g : groups_) {
    auto grads = grads_of(g.params);
    if (!grads.empty()) torch::_foreach_zero_(grads);
  }
}

void AdamW::step(const torch::Tensor& found_inf) {
  torch::NoGradGuard no_grad;
  if (kernel_ == AdamWKernel::Foreach && found_inf.defined() && found_inf.item<float>() != 0) return;
  for (auto& g : groups_) step_group(g, found_inf);
  ++steps_taken_;
}

void AdamW::step_group(Group& g, const torch::Tensor& found_inf) {
  // Parameters without a gradient this step (unused) are left alone, as torch.optim does.
  std::vector<torch::Tensor> params, grads, exp_avg, exp_avg_sq, steps;
  for (size_t i = 0; i < g.params.size(); ++i) {
    if (!g.params[i].grad().defined()) continue;
    params.push_back(g.params[i]);
    grads.push_back(g.params[i].grad());
    exp_avg.push_back(g.exp_avg[i]);
    exp_avg_sq.push_back(g.exp_avg_sq[i]);
    steps.push_back(g.step[i]);
  }
  if (params.empty()) return;
  const auto& s = settings_;
  torch::_foreach_add_(steps, 1.0);
  if (kernel_ == AdamWKernel::Fused) {
    std::optional<torch::Tensor> inf;
    if (found_inf.defined()) inf = found_inf;
    at::_fused_adamw_(params, grads, exp_avg, exp_avg_sq, {}, steps, s.lr, s.beta1, s.beta2, g.weight_decay, s.eps,
                      /*amsgrad=*/false, /*maximize=*/false, /*grad_scale=*/std::nullopt, inf);
    // A skipped step did not happen: the counters go back, as torch.optim does.
    if (found_inf.defined()) torch::_foreach_sub_(steps, std::vector<torch::Tensor>(steps.size(), found_inf.reshape({})));
    return;
  }
  // torch.optim.AdamW's foreach arithmetic. Every parameter of a group has
  // taken the same number of steps, so the bias corrections are host numbers.
  const double t = static_cast<double>(steps_taken_ + 1);
  const double bias1 = 1 - std::pow(s.beta1, t), bias2 = 1 - std::pow(s.beta2, t);
  if (g.weight_decay != 0) torch::_foreach_mul_(params, 1 - s.lr * g.weight_decay);
  torch::_foreach_lerp_(exp_avg, grads, 1 - s.beta1);
  torch::_foreach_mul_(exp_avg_sq, s.beta2);
  torch::_foreach_addcmul_(exp_avg_sq, grads, grads, 1 - s.beta2);
  auto denom = torch::_foreach_sqrt(exp_avg_sq);
  torch::_foreach_div_(denom, std::sqrt(bias2));
  torch::_foreach_add_(denom, s.eps);
  torch::_foreach_addcdiv_(params, exp_avg, denom, -s.lr / bias1);
}

NamedTensors AdamW::state() const {
  NamedTensors out;
  for (const auto& g : groups_)
    for (size_t i = 0; i < g.params.size(); ++i) {
      out.emplace_back("exp_avg." + g.names[i], g.exp_avg[i]);
      out.emplace_back("exp_avg_sq." + g.names[i], g.exp_avg_sq[i]);
      out.emplace_back("step." + g.names[i], g.step[i].reshape({1}));
    }
  return out;
}

void AdamW::load_state(const std::map<std::string, torch::Tensor>& saved, const std::string& source) {
  torch::NoGradGuard no_grad;
  int64_t steps = -1;
  for (auto& g : groups_)
    for (size_t i = 0; i < g.params.size(); ++i)
      for (const auto& [prefix, target] : std::initializer_list<std::pair<std::string, torch::Tensor*>>{
               {"exp_avg.", &g.exp_avg[i]}, {"exp_avg_sq.", &g.exp_avg_sq[i]}, {"step.", &g.step[i]}}) {
        const std::string key = prefix + g.names[i];
        const auto it = saved.find(key);
        if (it == saved.end()) throw RuntimeFailure(source + ": optimizer state has no tensor " + key);
        if (it->second.numel() != target->numel())
          throw RuntimeFailure(source + ": optimizer tensor " + key + " has " + std::to_string(it->second.numel()) +
                               " elements, the parameter " + std::to_string(target->numel()));
        target->copy_(it->second.reshape(target->sizes()));
        if (prefix == "step.") steps = static_cast<int64_t>(it->second.item<float>());
      }
  if (steps >= 0) steps_taken_ = steps;
}

torch::Tensor grad_norm_squared(const std::vector<torch::Tensor>& params) {
  const auto grads = grads_of(params);
  if (grads.empty()) return torch::zeros({}, torch::kFloat32);
  // One multi-tensor norm kernel; squares summed in float32 on the device.
  auto norms = torch::stack(torch::_foreach_norm(grads, 2)).to(torch::kFloat32);
  return norms.pow(2).sum();
}

torch::Tensor clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm,
                             const std::function<torch::Tensor(torch::Tensor)>& to_global) {
  const auto norm = to_global(grad_norm_squared(params)).sqrt();
  if (max_norm > 0) {
    torch::NoGradGuard no_grad;
    auto grads = grads_of(params);
    // torch.nn.utils.clip_grad_norm_: the factor is clamped to 1, so nothing
    // is read back to decide whether to clip.
    const auto factor = (max_norm / (norm + 1e-6)).clamp_max(1.0);
    if (!grads.empty()) torch::_foreach_mul_(grads, factor.to(grads.front().device()));
  }
  return norm;
}

}  // namespace tandem
