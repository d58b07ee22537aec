#include "engine/model/gpt_layers.h"

#include "engine/generate/kv_cache.h"
#include "engine/model/attention.h"
#include "engine/model/split_affine.h"
#include "kernels/lm_head_cross_entropy.h"

#include <cmath>

namespace tandem {
namespace {

constexpr double kInitStd = 0.02;  // GPT-2's initializer_range

torch::Tensor normal_param(torch::nn::Module& m, const std::string& name, std::vector<int64_t> shape, double stdev) {
  return m.register_parameter(name, torch::randn(shape) * stdev);
}

// A [padded_vocab, d] matrix whose first vocab_size rows are drawn as
// normal_param draws [vocab_size, d] (the same generator calls, so unpadded
// models keep their exact weights) and whose padding rows are zero.
torch::Tensor vocab_param(torch::nn::Module& m, const ModelConfig& c, double stdev) {
  auto w = torch::zeros({c.padded_vocab(), c.d_model});
  w.narrow(0, 0, c.vocab_size).copy_(torch::randn({c.vocab_size, c.d_model}) * stdev);
  return m.register_parameter("weight", w);
}

torch::Tensor zero_param(torch::nn::Module& m, const std::string& name, std::vector<int64_t> shape) {
  return m.register_parameter(name, torch::zeros(shape));
}

// x [.., in] @ w [in, out] + b: HF's Conv1D, with a backward the zero-bubble
// schedules can split (split_affine.h).
torch::Tensor conv1d(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  return split_affine(x, w, b, AffineLayout::InOut);
}

torch::nn::LayerNorm layer_norm(int d, double eps) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(eps));
}

}  // namespace

GptEmbedding::GptEmbedding(const ModelConfig& c) : Layer("embedding", "transformer."), dropout_(c.dropout) {
  // Registered under HF names through child modules "wte" and "wpe".
  auto wte_m = register_module("wte", std::make_shared<torch::nn::Module>());
  auto wpe_m = register_module("wpe", std::make_shared<torch::nn::Module>());
  wte = vocab_param(*wte_m, c, kInitStd);
  wpe = normal_param(*wpe_m, "weight", {c.max_position, c.d_model}, 0.01);
}

torch::Tensor GptEmbedding::forward(const torch::Tensor& input_ids, const BatchContext& ctx) {
  // With a KV cache the ids continue a sequence: their positions follow the cached ones.
  const int64_t first = ctx.kv_cache ? ctx.kv_cache->length() : 0;
  const auto T = input_ids.size(1);
  auto positions =
      torch::arange(first, first + T, torch::TensorOptions().dtype(torch::kLong).device(input_ids.device()));
  auto h = torch::embedding(wte, input_ids) + torch::embedding(wpe, positions);
  return maybe_dropout(h, dropout_, is_training());
}

LayerCost GptEmbedding::cost(int64_t) const {
  return {wte.numel() + wpe.numel(), 0.0, 4.0 * wte.size(1)};
}

GptBlock::GptBlock(const ModelConfig& c, int index)
    : Layer("block", "transformer.h." + std::to_string(index) + "."),
      index_(index),
      n_head_(c.n_head),
      d_(c.d_model),
      d_ff_(c.d_ff),
      dropout_(c.dropout),
      eps_(c.layer_norm_eps) {
  ln_1 = register_module("ln_1", layer_norm(d_, eps_));
  ln_2 = register_module("ln_2", layer_norm(d_, eps_));
  auto attn = register_module("attn", std::make_shared<torch::nn::Module>());
  auto attn_c_attn = attn->register_module("c_attn", std::make_shared<torch::nn::Module>());
  auto attn_c_proj = attn->register_module("c_proj", std::make_shared<torch::nn::Module>());
  auto mlp = register_module("mlp", std::make_shared<torch::nn::Module>());
  auto mlp_c_fc = mlp->register_module("c_fc", std::make_shared<torch::nn::Module>());
  auto mlp_c_proj = mlp->register_module("c_proj", std::make_shared<torch::nn::Module>());
  // GPT-2 scales the residual projections by 1/sqrt(2 * n_layer).
  const double proj_std = kInitStd / std::sqrt(2.0 * c.n_layer);
  c_attn_w = normal_param(*attn_c_attn, "weight", {d_, 3 * d_}, kInitStd);
  c_attn_b = zero_param(*attn_c_attn, "bias", {3 * d_});
  attn_proj_w = normal_param(*attn_c_proj, "weight", {d_, d_}, proj_std);
  attn_proj_b = zero_param(*attn_c_proj, "bias", {d_});
  c_fc_w = normal_param(*mlp_c_fc, "weight", {d_, d_ff_}, kInitStd);
  c_fc_b = zero_param(*mlp_c_fc, "bias", {d_ff_});
  mlp_proj_w = normal_param(*mlp_c_proj, "weight", {d_ff_, d_}, proj_std);
  mlp_proj_b = zero_param(*mlp_c_proj, "bias", {d_});
}

torch::Tensor GptBlock::forward(const torch::Tensor& x, const BatchContext& ctx) {
  const int64_t B = x.size(0), T = x.size(1), hd = d_ / n_head_;
  auto qkv = conv1d(ln_1(x), c_attn_w, c_attn_b).view({B, T, 3, n_head_, hd}).permute({2, 0, 3, 1, 4});
  auto y = ctx.kv_cache ? cached_causal_attention(*ctx.kv_cache, index_, qkv[0], qkv[1], qkv[2])
                        : attention(qkv[0], qkv[1], qkv[2], /*causal=*/true, torch::Tensor(), dropout_, is_training());
  y = y.transpose(1, 2).reshape({B, T, d_});
  auto h = x + maybe_dropout(conv1d(y, attn_proj_w, attn_proj_b), dropout_, is_training());
  auto m = torch::gelu(conv1d(ln_2(h), c_fc_w, c_fc_b), "tanh");
  return h + maybe_dropout(conv1d(m, mlp_proj_w, mlp_proj_b), dropout_, is_training());
}

LayerCost GptBlock::cost(int64_t T) const {
  const double d = d_, f = d_ff_;
  const int64_t params = 4 * d_ + (3 * d_ * d_ + 3 * d_) + (d_ * d_ + d_) + (d_ * d_ff_ + d_ff_) + (d_ff_ * d_ + d_);
  // 2 flops per multiply-add: projections plus QK^T and AV (causal halves are not credited).
  const double flops = 2.0 * (3 * d * d + d * d + 2 * d * f) + 4.0 * T * d;
  // fp32 stash: layer-norm inputs/outputs, qkv, attention probs (per head, T keys), MLP hidden.
  const double act_bytes = 4.0 * (6 * d + 2 * f + 2.0 * n_head_ * T);
  return {params, flops, act_bytes};
}

GptFinalNorm::GptFinalNorm(const ModelConfig& c) : Layer("norm", "transformer.") {
  ln_f = register_module("ln_f", layer_norm(c.d_model, c.layer_norm_eps));
}

torch::Tensor GptFinalNorm::forward(const torch::Tensor& x, const BatchContext&) { return ln_f(x); }

LayerCost GptFinalNorm::cost(int64_t) const {
  const double d = ln_f->options.normalized_shape()[0];
  return {static_cast<int64_t>(2 * d), 8.0 * d, 8.0 * d};
}

GptHead::GptHead(const ModelConfig& c, const torch::Tensor& tied_wte)
    : Layer("head", ""), tied_(c.tie_embeddings), vocab_(c.vocab_size), padded_vocab_(c.padded_vocab()), d_(c.d_model) {
  if (tied_) {
    weight_ = tied_wte;
  } else {
    auto lm_head = register_module("lm_head", std::make_shared<torch::nn::Module>());
    weight_ = vocab_param(*lm_head, c, kInitStd);
  }
}

void GptHead::untie_into_own_copy() {
  if (!tied_) return;
  auto lm_head = register_module("lm_head", std::make_shared<torch::nn::Module>());
  weight_ = lm_head->register_parameter("weight", weight_.detach().clone());
}

torch::Tensor GptHead::forward(const torch::Tensor& x, const BatchContext&) {
  // The real vocabulary's logits only: a padding id can never be predicted.
  return torch::matmul(x, weight_.narrow(0, 0, vocab_).t());
}

torch::Tensor GptHead::loss(const torch::Tensor& x, const torch::Tensor& targets) const {
  // Rows per chunk of the fused head + cross-entropy. At GPT-2 sizes a chunk's
  // float32 logits are 512 x 50304 x 4 B = 98 MiB (under bf16 autocast another
  // 49 MiB for the bf16 matmul output and 49 MiB for its gradient), against
  // 16 x 1024 x 50304 x 4 B = 3.1 GiB for a 16 x 1024-token batch at once; the
  // matmuls stay large enough (512 x 768 x 50304) to keep a GPU busy. Tiny
  // vocabularies (the byte presets) get a chunk of 512 x 256 x 4 B = 512 KiB.
  constexpr int64_t kChunkRows = 512;
  return kernels::chunked_lm_head_cross_entropy(x.reshape({-1, d_}), weight_, targets.reshape({-1}), vocab_,
                                                kChunkRows);
}

LayerCost GptHead::cost(int64_t) const {
  // Parameters counted here only when the head owns them; padding rows take memory and matmul time.
  const int64_t own = tied_ ? 0 : static_cast<int64_t>(padded_vocab_) * d_;
  return {own, 2.0 * padded_vocab_ * d_, 4.0 * (padded_vocab_ + d_)};
}

}  // namespace tandem
