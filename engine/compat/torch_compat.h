#pragma once
// The one place where libtorch versions differ for tandem. Debian's libtorch
// 1.13 (CPU) and libtorch 2.x (GPU machine) are both supported.

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <mutex>

#ifndef TORCH_VERSION_MAJOR
#include <torch/version.h>
#endif

namespace tandem::compat {

constexpr bool kTorch2 = TORCH_VERSION_MAJOR >= 2;

#if TORCH_VERSION_MAJOR < 2
// [T, T] bool, true above the diagonal (the future); built once per length and device.
inline torch::Tensor causal_mask(int64_t T, const torch::Device& device) {
  thread_local std::map<std::pair<int64_t, std::string>, torch::Tensor> cache;
  auto& mask = cache[{T, device.str()}];
  if (!mask.defined())
    mask = torch::ones({T, T}, torch::TensorOptions().dtype(torch::kBool).device(device)).triu(1);
  return mask;
}
#endif

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
  // The math of PyTorch's SDPA fallback, with two savings: the scale is
  // applied to q (T·hd elements) rather than to the scores (T·T), and the
  // mask is applied in place.
  auto scores = torch::matmul(q * (1.0 / std::sqrt(static_cast<double>(q.size(-1)))), k.transpose(-2, -1));
  if (causal) scores.masked_fill_(causal_mask(q.size(-2), q.device()), -std::numeric_limits<float>::infinity());
  if (key_padding.defined()) {
    auto pad = key_padding.logical_not().view({key_padding.size(0), 1, 1, key_padding.size(1)});
    scores.masked_fill_(pad, -std::numeric_limits<float>::infinity());
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

// Dropout that costs nothing when p is 0 (the tiny presets) or in evaluation.
inline torch::Tensor dropout(const torch::Tensor& x, double p, bool training) {
  return training && p > 0 ? torch::dropout(x, p, true) : x;
}

}  // namespace tandem::compat
