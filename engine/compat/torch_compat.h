#pragma once
// The one place where libtorch versions differ for tandem. Debian's libtorch
// 1.13 (CPU) and libtorch 2.x (GPU machine) are both supported.

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <mutex>

#ifndef TORCH_VERSION_MAJOR
#include <torch/version.h>
#endif

namespace tandem::compat {

constexpr bool kTorch2 = TORCH_VERSION_MAJOR >= 2;

// Multi-head attention on [B, H, T, hd] tensors. `key_padding` is empty or a
// [B, T] bool tensor that is true for real tokens. libtorch 2 has a fused SDPA;
// 1.13 composes it from matmul and softmax (what PyTorch 1.13 itself does).
inline torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               bool causal, const torch::Tensor& key_padding, double dropout_p, bool training) {
#if TORCH_VERSION_MAJOR >= 2
  c10::optional<torch::Tensor> mask;
  if (key_padding.defined()) mask = key_padding.view({key_padding.size(0), 1, 1, key_padding.size(1)});
  return at::scaled_dot_product_attention(q, k, v, mask, training ? dropout_p : 0.0, causal && !mask.has_value());
#else
  const auto T = q.size(-2);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(q.size(-1))));
  if (causal) {
    auto upper = torch::ones({T, T}, torch::TensorOptions().dtype(torch::kBool).device(q.device())).triu(1);
    scores = scores.masked_fill(upper, -std::numeric_limits<float>::infinity());
  }
  if (key_padding.defined()) {
    auto pad = key_padding.logical_not().view({key_padding.size(0), 1, 1, key_padding.size(1)});
    scores = scores.masked_fill(pad, -std::numeric_limits<float>::infinity());
  }
  auto probs = torch::softmax(scores, -1);
  if (training && dropout_p > 0) probs = torch::dropout(probs, dropout_p, true);
  return torch::matmul(probs, v);
#endif
}

// Where a tensor's RNG state is kept for bitwise resume.
// The CPU generator drives initialisation and dropout masks; its state is part of a checkpoint.
inline torch::Tensor cpu_rng_state() { return at::detail::getDefaultCPUGenerator().get_state(); }
inline void set_cpu_rng_state(const torch::Tensor& state) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

}  // namespace tandem::compat
