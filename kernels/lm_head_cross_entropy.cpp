#include "kernels/lm_head_cross_entropy.h"

#include "engine/error.h"

#include <ATen/autocast_mode.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <limits>

namespace tandem::kernels {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

std::string shape(const torch::Tensor& t) { return c10::str(t.sizes()); }

void check_arguments(const torch::Tensor& hidden, const torch::Tensor& weight, const torch::Tensor& targets,
                     int64_t real_vocab, int64_t chunk_rows) {
  const std::string where = "chunked_lm_head_cross_entropy: ";
  if (hidden.dim() != 2 || weight.dim() != 2 || hidden.size(1) != weight.size(1))
    throw RuntimeFailure(where + "hidden " + shape(hidden) + " and weight " + shape(weight) +
                         " are not [N, d] and [V, d]");
  if (targets.dim() != 1 || targets.size(0) != hidden.size(0) || targets.scalar_type() != torch::kLong)
    throw RuntimeFailure(where + "targets " + shape(targets) + " are not [" + std::to_string(hidden.size(0)) +
                         "] int64");
  if (real_vocab <= 0 || real_vocab > weight.size(0))
    throw RuntimeFailure(where + "real_vocab " + std::to_string(real_vocab) + " is outside [1, " +
                         std::to_string(weight.size(0)) + "]");
  if (chunk_rows <= 0) throw RuntimeFailure(where + "chunk_rows must be positive, got " + std::to_string(chunk_rows));
  if (hidden.device() != weight.device() || hidden.device() != targets.device())
    throw RuntimeFailure(where + "hidden, weight and targets are on different devices");
}

// The matmul dtype autocast would pick for the head on this device, else the weight's.
torch::ScalarType matmul_dtype(const torch::Tensor& hidden, const torch::Tensor& weight) {
  const auto device = hidden.device().type();
  if (at::autocast::is_autocast_enabled(device)) return at::autocast::get_autocast_dtype(device);
  return weight.scalar_type();
}

// One chunk's logits as float32 [rows, V_padded], padding columns at -inf so
// that they vanish from the log-sum-exp and the softmax.
torch::Tensor chunk_logits(const torch::Tensor& hidden_rows, const torch::Tensor& weight_cast, int64_t real_vocab) {
  auto logits = at::mm(hidden_rows.to(weight_cast.scalar_type()), weight_cast.t()).to(torch::kFloat32);
  const int64_t padding = weight_cast.size(0) - real_vocab;
  if (padding > 0) logits.narrow(1, real_vocab, padding).fill_(-std::numeric_limits<float>::infinity());
  return logits;
}

class ChunkedLmHeadCrossEntropy : public torch::autograd::Function<ChunkedLmHeadCrossEntropy> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& hidden, const torch::Tensor& weight,
                               const torch::Tensor& targets, int64_t real_vocab, int64_t chunk_rows) {
    const auto dtype = matmul_dtype(hidden, weight);
    // The dtypes are explicit below; autocast must not recast them again
    // (backward runs without autocast, and both passes must agree).
    const c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
    const auto weight_cast = weight.to(dtype);
    const int64_t n = hidden.size(0);
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(hidden.device());
    auto lse = torch::empty({n}, f32), target_logit = torch::empty({n}, f32);
    for (int64_t begin = 0; begin < n; begin += chunk_rows) {
      const int64_t rows = std::min(chunk_rows, n - begin);
      auto logits = chunk_logits(hidden.narrow(0, begin, rows), weight_cast, real_vocab);
      target_logit.narrow(0, begin, rows).copy_(logits.gather(1, targets.narrow(0, begin, rows).unsqueeze(1)).squeeze(1));
      // log Σ exp in place (the chunk is ours): at::logsumexp would allocate
      // another chunk-sized temporary for logits - max. Padding gives
      // exp(-inf - max) = 0; a non-finite logit (an fp16 overflow) gives a
      // non-finite loss, as cross_entropy would, which the loss scaler skips.
      const auto row_max = logits.amax(1, /*keepdim=*/true);
      lse.narrow(0, begin, rows).copy_(logits.sub_(row_max).exp_().sum(1).log_().add_(row_max.squeeze(1)));
    }
    ctx->save_for_backward({hidden, weight, targets, lse});
    ctx->saved_data["real_vocab"] = real_vocab;
    ctx->saved_data["chunk_rows"] = chunk_rows;
    ctx->saved_data["dtype"] = static_cast<int64_t>(dtype);
    // cross_entropy's mean: Σ (log Σ exp(logits) - logit[target]) / N.
    return (lse - target_logit).mean();
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &hidden = saved[0], &weight = saved[1], &targets = saved[2], &lse = saved[3];
    const int64_t real_vocab = ctx->saved_data["real_vocab"].toInt();
    const int64_t chunk_rows = ctx->saved_data["chunk_rows"].toInt();
    const auto dtype = static_cast<torch::ScalarType>(ctx->saved_data["dtype"].toInt());
    const bool want_hidden = ctx->needs_input_grad(0), want_weight = ctx->needs_input_grad(1);
    const int64_t n = hidden.size(0);
    torch::Tensor grad_hidden, grad_weight;
    if (!want_hidden && !want_weight) return {grad_hidden, grad_weight, {}, {}, {}};

    const c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
    const auto weight_cast = weight.to(dtype);
    // d loss / d logits = (softmax - onehot(target)) × grad / N, scaled on the
    // device (grad is the loss scale under fp16: no host read).
    const auto scale = grad_outputs[0].to(torch::kFloat32) / static_cast<double>(n);
    if (want_hidden) grad_hidden = torch::empty_like(hidden);
    // Accumulated in the weight's dtype (float32) over the chunks.
    if (want_weight) grad_weight = torch::zeros_like(weight);
    for (int64_t begin = 0; begin < n; begin += chunk_rows) {
      const int64_t rows = std::min(chunk_rows, n - begin);
      const auto hidden_rows = hidden.narrow(0, begin, rows).to(dtype);
      // Softmax from the saved log-sum-exp; the padding columns (-inf) become exactly 0.
      auto d_logits = chunk_logits(hidden_rows, weight_cast, real_vocab);
      d_logits.sub_(lse.narrow(0, begin, rows).unsqueeze(1)).exp_();
      const auto target = targets.narrow(0, begin, rows).unsqueeze(1);
      d_logits.scatter_add_(1, target, torch::full({rows, 1}, -1.0, d_logits.options()));
      d_logits.mul_(scale);
      const auto d_cast = d_logits.to(dtype);
      if (want_hidden) grad_hidden.narrow(0, begin, rows).copy_(at::mm(d_cast, weight_cast));
      if (want_weight) {
        if (dtype == grad_weight.scalar_type()) grad_weight.addmm_(d_cast.t(), hidden_rows);
        else grad_weight.add_(at::mm(d_cast.t(), hidden_rows));
      }
    }
    return {grad_hidden, grad_weight, {}, {}, {}};
  }
};

}  // namespace

torch::Tensor chunked_lm_head_cross_entropy(const torch::Tensor& hidden, const torch::Tensor& weight,
                                            const torch::Tensor& targets, int64_t real_vocab, int64_t chunk_rows) {
  check_arguments(hidden, weight, targets, real_vocab, chunk_rows);
  return ChunkedLmHeadCrossEntropy::apply(hidden, weight, targets, real_vocab, chunk_rows);
}

torch::Tensor lm_head_cross_entropy_reference(const torch::Tensor& hidden, const torch::Tensor& weight,
                                              const torch::Tensor& targets, int64_t real_vocab) {
  check_arguments(hidden, weight, targets, real_vocab, 1);
  const auto logits = torch::matmul(hidden, weight.narrow(0, 0, real_vocab).t());
  return torch::nn::functional::cross_entropy(logits.to(torch::kFloat32), targets);
}

}  // namespace tandem::kernels
