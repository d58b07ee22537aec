#pragma once
// The keys and values a decoder has already computed, kept between the steps
// of text generation so that each new token attends to the earlier ones
// without recomputing them. A GPT block given one (BatchContext::kv_cache)
// appends its new keys and values and attends over everything cached; without
// one (training, evaluation) it runs as before.

#include <torch/torch.h>

#include <utility>
#include <vector>

namespace tandem {

class KvCache {
 public:
  // Room for `capacity` positions in each of `n_layer` blocks. Each block's
  // tensors are allocated at its first append, in the dtype and on the device
  // of its keys, so the cache follows the model's device and autocast.
  KvCache(int n_layer, int64_t capacity);

  // Positions cached by every block: the position of the next token.
  int64_t length() const { return length_; }
  int64_t capacity() const { return capacity_; }

  // Block `layer`'s keys and values [B, H, T, hd] for the T positions after
  // length(), written into the cache; returns the keys and values of positions
  // [0, length() + T). Throws RuntimeFailure past capacity().
  std::pair<torch::Tensor, torch::Tensor> append(int layer, const torch::Tensor& keys, const torch::Tensor& values);

  // After every block appended the same `positions` new positions.
  void commit(int64_t positions);

 private:
  int64_t capacity_;
  int64_t length_ = 0;
  std::vector<torch::Tensor> keys_, values_;  // per block, [B, H, capacity, hd]
};

// Causal self-attention of T new queries [B, H, T, hd] over the cached
// positions and themselves: query i (position length() + i) sees every key at
// or before its own position. Appends `keys` and `values` to block `layer`.
torch::Tensor cached_causal_attention(KvCache& cache, int layer, const torch::Tensor& queries,
                                      const torch::Tensor& keys, const torch::Tensor& values);

}  // namespace tandem
