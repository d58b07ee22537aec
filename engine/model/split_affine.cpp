#include "engine/model/split_affine.h"

#include <map>
#include <mutex>

#include <ATen/autocast_mode.h>

#include "engine/error.h"

namespace tandem {
namespace {

// The stash each weight's deferred gradients go to, by the weight's identity:
// process-wide, since on GPUs the autograd engine runs backward on its own
// threads, yet per weight, so that several models in one process (ranks as
// threads in the runtime tests) can each have a stash active.
std::mutex g_stash_mutex;
std::map<const c10::TensorImpl*, WeightGradientStash*> g_stash_of_weight;

WeightGradientStash* stash_for(const torch::Tensor& weight) {
  std::lock_guard<std::mutex> lock(g_stash_mutex);
  const auto it = g_stash_of_weight.find(weight.unsafeGetTensorImpl());
  return it == g_stash_of_weight.end() ? nullptr : it->second;
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The dtype autocast would run the matmul in, so that backward computes in the
// same dtype as the plain addmm/linear it replaces.
c10::ScalarType compute_dtype(const torch::Tensor& x) {
  const auto device = x.device().type();
  if (at::autocast::is_autocast_enabled(device)) return at::autocast::get_autocast_dtype(device);
  return x.scalar_type();
}

torch::Tensor weight_gradient(const torch::Tensor& x, const torch::Tensor& dy, AffineLayout layout) {
  return layout == AffineLayout::InOut ? x.t().mm(dy) : dy.t().mm(x);
}

struct SplitAffineFunction : public torch::autograd::Function<SplitAffineFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w,
                               const torch::Tensor& b, int64_t layout_code) {
    const auto layout = static_cast<AffineLayout>(layout_code);
    const auto dtype = compute_dtype(x);
    const auto x2d = x.reshape({-1, x.size(-1)}).to(dtype);
    const auto wc = w.to(dtype);
    const auto wt = layout == AffineLayout::InOut ? wc : wc.t();
    const bool has_bias = b.numel() > 0;  // split_affine passes an empty tensor for "no bias"
    const auto y2d = has_bias ? torch::addmm(b.to(dtype), x2d, wt) : x2d.mm(wt);
    ctx->save_for_backward({x2d, wc});
    // The parameters themselves (not saved copies): deferred gradients are
    // accumulated into them later.
    ctx->saved_data["weight"] = w;
    if (has_bias) ctx->saved_data["bias"] = b;
    ctx->saved_data["layout"] = layout_code;
    ctx->saved_data["x_dtype"] = static_cast<int64_t>(x.scalar_type());
    ctx->saved_data["x_shape"] = x.sizes().vec();
    auto shape = x.sizes().vec();
    shape.back() = wt.size(1);
    return y2d.view(shape);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& x2d = saved[0];
    const auto& wc = saved[1];
    const auto layout = static_cast<AffineLayout>(ctx->saved_data["layout"].toInt());
    const auto weight = ctx->saved_data["weight"].toTensor();
    const auto bias = ctx->saved_data.count("bias") ? ctx->saved_data["bias"].toTensor() : torch::Tensor();
    const auto dy = grad_outputs[0].reshape({-1, grad_outputs[0].size(-1)}).to(wc.scalar_type());

    torch::Tensor dx, dw, db;
    if (ctx->needs_input_grad(0)) {
      dx = (layout == AffineLayout::InOut ? dy.mm(wc.t()) : dy.mm(wc))
               .view(ctx->saved_data["x_shape"].toIntVector())
               .to(static_cast<c10::ScalarType>(ctx->saved_data["x_dtype"].toInt()));
    }
    if (WeightGradientStash* stash = stash_for(weight)) {
      stash->defer({x2d, dy, weight, bias, layout});
    } else {
      if (ctx->needs_input_grad(1)) dw = weight_gradient(x2d, dy, layout).to(weight.scalar_type());
      if (bias.defined() && ctx->needs_input_grad(2)) db = dy.sum(0).to(bias.scalar_type());
    }
    return {dx, dw, db, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor split_affine(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b,
                           AffineLayout layout) {
  // Autograd functions take defined tensors only: an empty one stands for no bias.
  const torch::Tensor bias = b.defined() ? b : torch::empty({0}, w.options().requires_grad(false));
  return SplitAffineFunction::apply(x, w, bias, static_cast<int64_t>(layout));
}

void WeightGradientStash::defer(Deferred work) {
  std::lock_guard<std::mutex> lock(mutex_);
  deferred_.push_back(std::move(work));
}

void WeightGradientStash::add_ready(const torch::Tensor& parameter, const torch::Tensor& gradient) {
  std::lock_guard<std::mutex> lock(mutex_);
  ready_parameters_.push_back(parameter);
  ready_gradients_.push_back(gradient);
}

bool WeightGradientStash::empty() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return deferred_.empty() && ready_parameters_.empty();
}

void WeightGradientStash::apply() {
  std::vector<Deferred> deferred;
  std::vector<torch::Tensor> parameters, gradients;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    deferred.swap(deferred_);
    parameters.swap(ready_parameters_);
    gradients.swap(ready_gradients_);
  }
  torch::NoGradGuard no_grad;  // the gradients themselves need no graph
  for (const Deferred& work : deferred) {
    parameters.push_back(work.weight);
    gradients.push_back(weight_gradient(work.x, work.dy, work.layout).to(work.weight.scalar_type()));
    if (work.bias.defined()) {
      parameters.push_back(work.bias);
      gradients.push_back(work.dy.sum(0).to(work.bias.scalar_type()));
    }
  }
  if (parameters.empty()) return;
  // One root per parameter: a weight used by several maps (or also outside
  // split_affine) gets the sum of its parts.
  std::vector<torch::Tensor> roots, sums;
  for (size_t i = 0; i < parameters.size(); ++i) {
    size_t j = 0;
    while (j < roots.size() && !roots[j].is_same(parameters[i])) ++j;
    if (j == roots.size()) {
      roots.push_back(parameters[i]);
      sums.push_back(gradients[i]);
    } else {
      sums[j] = sums[j] + gradients[i];
    }
  }
  // Backward from a leaf runs just its AccumulateGrad: the gradient lands in
  // .grad exactly as a full backward would put it, hooks included.
  torch::AutoGradMode enable(true);
  torch::autograd::backward(roots, sums);
}

DeferWeightGradients::DeferWeightGradients(WeightGradientStash& stash, const std::vector<torch::Tensor>& weights) {
  std::lock_guard<std::mutex> lock(g_stash_mutex);
  for (const auto& w : weights) {
    if (g_stash_of_weight.count(w.unsafeGetTensorImpl())) {
      for (const auto* done : weights_) g_stash_of_weight.erase(done);
      throw RuntimeFailure("split backward: a weight-gradient stash is already active for these weights");
    }
    g_stash_of_weight[w.unsafeGetTensorImpl()] = &stash;
    weights_.push_back(w.unsafeGetTensorImpl());
  }
}

DeferWeightGradients::~DeferWeightGradients() {
  std::lock_guard<std::mutex> lock(g_stash_mutex);
  for (const auto* w : weights_) g_stash_of_weight.erase(w);
}

}  // namespace tandem
