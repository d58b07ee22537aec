#pragma once
// Text generation from a causal language model (GPT-2 and tandem's GPT
// presets): the prompt's ids go through the model once, then one token at a
// time is picked (sampler.h) and fed back, with the blocks' keys and values
// kept in a KV cache (kv_cache.h) so that a step costs one position, not the
// whole sequence. Stops after max_new_tokens or at the end-of-text token.

#include "engine/generate/sampler.h"
#include "engine/model/transformer_model.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace tandem {

struct GenerationOptions {
  int max_new_tokens{};
  SamplingOptions sampling;
  uint64_t seed{};
  std::optional<int32_t> eos_id;  // stop once it is generated (it is kept, as transformers keeps it)
  bool use_cache{};               // false: every step runs the whole sequence again
};

struct Generation {
  std::vector<int32_t> ids;  // the new tokens only
  bool stopped_at_eos = false;
};

// Throws UsageError naming the model's type when it is not a causal LM (BERT
// and DistilBERT are encoders).
void check_causal_lm(const ModelConfig& model);

// check_causal_lm, the sampling options, and then UsageError when the prompt
// is empty or prompt + max_new_tokens exceed the model's positions.
void check_generation_fits(const ModelConfig& model, size_t prompt_tokens, const GenerationOptions& options);

// Puts the model in evaluation mode and generates, without gradients.
// check_generation_fits, and UsageError for a prompt id beyond the vocabulary.
Generation generate(TransformerModel& model, const std::vector<int32_t>& prompt, const GenerationOptions& options);

// The logits [B, V] of the last of `ids` [B, T]: with a cache, `ids` are the
// positions after cache->length(), which it then holds as well; without one,
// the whole sequence. The step generate() repeats.
torch::Tensor last_position_logits(const TransformerModel& model, const torch::Tensor& ids, KvCache* cache);

}  // namespace tandem
