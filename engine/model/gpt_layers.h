#pragma once
// GPT-2 layers with Hugging Face's parameter names and layouts. HF GPT-2 uses
// Conv1D, whose weights are stored [in, out]; keeping that layout means the
// saved model.safetensors loads into transformers' GPT2LMHeadModel unchanged.

#include "engine/model/layer.h"
#include "engine/model/model_config.h"

namespace tandem {

class GptEmbedding : public Layer {
 public:
  explicit GptEmbedding(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& input_ids, const BatchContext& ctx) override;
  LayerCost cost(int64_t T) const override;
  torch::Tensor wte;  // [padded_vocab, d], shared with the tied head; padding rows are zero
  torch::Tensor wpe;  // [max_position, d]

 private:
  double dropout_;
};

class GptBlock : public Layer {
 public:
  GptBlock(const ModelConfig& c, int index);
  torch::Tensor forward(const torch::Tensor& x, const BatchContext& ctx) override;
  LayerCost cost(int64_t T) const override;

 private:
  int index_, n_head_, d_, d_ff_;
  double dropout_, eps_;
  torch::nn::LayerNorm ln_1{nullptr}, ln_2{nullptr};
  torch::Tensor c_attn_w, c_attn_b, attn_proj_w, attn_proj_b;  // attn.c_attn, attn.c_proj
  torch::Tensor c_fc_w, c_fc_b, mlp_proj_w, mlp_proj_b;        // mlp.c_fc, mlp.c_proj
};

class GptFinalNorm : public Layer {
 public:
  explicit GptFinalNorm(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const BatchContext& ctx) override;
  LayerCost cost(int64_t T) const override;

 private:
  torch::nn::LayerNorm ln_f{nullptr};
};

// The language-model head. Tied: it reads the embedding's wte and registers no
// parameter of its own (one process) — a pipeline stage without the embedding
// calls untie_into_own_copy() and keeps the copy in sync by allreduce.
class GptHead : public Layer {
 public:
  GptHead(const ModelConfig& c, const torch::Tensor& tied_wte);
  // Logits [.., vocab_size] (the padding columns are not part of them).
  torch::Tensor forward(const torch::Tensor& x, const BatchContext& ctx) override;
  // Mean next-token cross-entropy of the head applied to x [B, T, d] against
  // targets [B, T], without forming the [B*T, V] logits (kernels/lm_head_cross_entropy.h).
  torch::Tensor loss(const torch::Tensor& x, const torch::Tensor& targets) const;
  LayerCost cost(int64_t T) const override;
  bool tied() const { return tied_; }
  void untie_into_own_copy();
  const torch::Tensor& weight() const { return weight_; }

 private:
  bool tied_;
  int vocab_, padded_vocab_, d_;
  torch::Tensor weight_;  // [padded_vocab, d]
};

}  // namespace tandem
