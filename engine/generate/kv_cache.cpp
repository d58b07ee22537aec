#include "engine/generate/kv_cache.h"

#include "engine/error.h"

#include <string>

namespace tandem {

KvCache::KvCache(int n_layer, int64_t capacity)
    : capacity_(capacity), keys_(static_cast<size_t>(n_layer)), values_(static_cast<size_t>(n_layer)) {
  if (n_layer <= 0 || capacity <= 0)
    throw RuntimeFailure("internal: a KV cache of " + std::to_string(n_layer) + " blocks and " +
                         std::to_string(capacity) + " positions");
}

std::pair<torch::Tensor, torch::Tensor> KvCache::append(int layer, const torch::Tensor& keys,
                                                        const torch::Tensor& values) {
  if (layer < 0 || static_cast<size_t>(layer) >= keys_.size())
    throw RuntimeFailure("internal: KV cache block " + std::to_string(layer) + " of " + std::to_string(keys_.size()));
  const int64_t new_positions = keys.size(2);
  if (length_ + new_positions > capacity_)
    throw RuntimeFailure("internal: KV cache of " + std::to_string(capacity_) + " positions cannot take " +
                         std::to_string(new_positions) + " more after " + std::to_string(length_));
  auto& k = keys_[layer];
  auto& v = values_[layer];
  if (!k.defined()) {
    k = torch::empty({keys.size(0), keys.size(1), capacity_, keys.size(3)}, keys.options());
    v = torch::empty({values.size(0), values.size(1), capacity_, values.size(3)}, values.options());
  }
  k.narrow(2, length_, new_positions).copy_(keys);
  v.narrow(2, length_, new_positions).copy_(values);
  return {k.narrow(2, 0, length_ + new_positions), v.narrow(2, 0, length_ + new_positions)};
}

void KvCache::commit(int64_t positions) {
  if (positions <= 0 || length_ + positions > capacity_)
    throw RuntimeFailure("internal: KV cache commit of " + std::to_string(positions) + " positions after " +
                         std::to_string(length_) + " of " + std::to_string(capacity_));
  length_ += positions;
}

torch::Tensor cached_causal_attention(KvCache& cache, int layer, const torch::Tensor& queries,
                                      const torch::Tensor& keys, const torch::Tensor& values) {
  const int64_t past = cache.length(), fresh = queries.size(2);
  const auto [all_keys, all_values] = cache.append(layer, keys, values);
  // One new token sees every key; a first chunk is plain causal attention. A
  // later chunk of several tokens needs the mask spelled out, because SDPA's
  // is_causal aligns the triangle to the top-left corner, not to position `past`.
  if (fresh == 1) return at::scaled_dot_product_attention(queries, all_keys, all_values);
  if (past == 0) return at::scaled_dot_product_attention(queries, all_keys, all_values, {}, 0.0, /*is_causal=*/true);
  const auto options = torch::TensorOptions().dtype(torch::kLong).device(queries.device());
  const auto query_positions = torch::arange(past, past + fresh, options).unsqueeze(1);
  const auto visible = torch::arange(past + fresh, options).unsqueeze(0) <= query_positions;  // [T, past + T]
  return at::scaled_dot_product_attention(queries, all_keys, all_values, visible);
}

}  // namespace tandem
