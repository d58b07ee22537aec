#pragma once
// A model is an explicit ordered list of layers: embedding, blocks, final norm,
// head. One process runs the whole list; the pipeline cuts it between layers.
// Every layer maps hidden states to hidden states (the embedding maps token ids,
// the head produces logits), so any contiguous slice is itself runnable.

#include <torch/torch.h>

#include <string>
#include <vector>

namespace tandem {

class KvCache;  // engine/generate/kv_cache.h

// What every layer of a step may need besides the activation it receives.
// Every rank reads the same batch, so this never travels between stages.
struct BatchContext {
  torch::Tensor input_ids;         // [B, T] int64
  torch::Tensor attention_mask{};  // [B, T] bool, true for real tokens; undefined for causal LM
  torch::Tensor token_type_ids{};  // [B, T] int64 segment ids (BERT); undefined: every token is type 0
  // Text generation only: input_ids are the tokens after kv_cache->length(),
  // and GPT blocks attend over the cache as well. Null everywhere else.
  KvCache* kv_cache = nullptr;
};

// Per-layer estimates the partitioner balances.
struct LayerCost {
  int64_t parameters = 0;
  double flops_per_token = 0;              // forward only; backward is about twice this
  double activation_bytes_per_token = 0;   // stashed for backward, fp32
};

class Layer : public torch::nn::Module {
 public:
  // `prefix` makes parameter names match Hugging Face's (e.g. "transformer.h.3.").
  Layer(std::string kind, std::string prefix) : kind_(std::move(kind)), prefix_(std::move(prefix)) {}
  virtual torch::Tensor forward(const torch::Tensor& x, const BatchContext& ctx) = 0;
  virtual LayerCost cost(int64_t sequence_length) const = 0;

  const std::string& kind() const { return kind_; }
  const std::string& prefix() const { return prefix_; }

 private:
  std::string kind_;
  std::string prefix_;
};

using LayerPtr = std::shared_ptr<Layer>;

}  // namespace tandem
