#pragma once
// The attention and dropout calls every layer family shares.

#include <torch/torch.h>

namespace tandem {

// Multi-head attention on [B, H, T, hd] tensors through ATen's fused SDPA
// (flash or memory-efficient kernels on CUDA). `key_padding` is empty or a
// [B, T] bool tensor that is true for real tokens.
inline torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                               const torch::Tensor& key_padding, double dropout_p, bool training) {
  std::optional<torch::Tensor> mask;
  if (key_padding.defined()) mask = key_padding.view({key_padding.size(0), 1, 1, key_padding.size(1)});
  return at::scaled_dot_product_attention(q, k, v, mask, training ? dropout_p : 0.0, causal && !mask.has_value());
}

// Dropout that costs nothing when p is 0 (the tiny presets) or in evaluation.
inline torch::Tensor maybe_dropout(const torch::Tensor& x, double p, bool training) {
  return training && p > 0 ? torch::dropout(x, p, true) : x;
}

}  // namespace tandem
