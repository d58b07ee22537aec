#include "engine/generate/generator.h"

#include "engine/error.h"
#include "engine/generate/kv_cache.h"

#include <string>

namespace tandem {
namespace {

std::string model_type(const ModelConfig& c) {
  switch (c.architecture) {
    case Architecture::Gpt2: return "gpt2";
    case Architecture::Bert: return "bert";
    case Architecture::DistilBert: return "distilbert";
  }
  return "unknown";
}

}  // namespace

void check_causal_lm(const ModelConfig& model) {
  if (model.family != ModelFamily::Gpt)
    throw UsageError("--model_name_or_path: " + model.name + " is a " + model_type(model) +
                     " encoder; tandem generate needs a causal language model (gpt2)");
}

void check_generation_fits(const ModelConfig& model, size_t prompt_tokens, const GenerationOptions& options) {
  check_causal_lm(model);
  check_sampling_options(options.sampling);
  if (options.max_new_tokens < 1)
    throw UsageError("--max_new_tokens: " + std::to_string(options.max_new_tokens) + " (expected at least 1)");
  if (prompt_tokens == 0)
    throw UsageError("--prompt: the text gives no token (expected at least one character)");
  const size_t total = prompt_tokens + static_cast<size_t>(options.max_new_tokens);
  if (total > static_cast<size_t>(model.max_position))
    throw UsageError("--prompt: " + std::to_string(prompt_tokens) + " tokens + --max_new_tokens " +
                     std::to_string(options.max_new_tokens) + " exceed the " + std::to_string(model.max_position) +
                     " positions (n_positions) of model " + model.name);
}

torch::Tensor last_position_logits(const TransformerModel& model, const torch::Tensor& ids, KvCache* cache) {
  BatchContext ctx;
  ctx.input_ids = ids;
  ctx.kv_cache = cache;
  // Everything up to the final norm, then the head on the last position only:
  // the [T, V] logits of the earlier positions are never needed.
  const size_t head = model.size() - 1;
  const auto hidden = model.forward(ids, ctx, 0, head);
  const auto last = hidden.narrow(1, hidden.size(1) - 1, 1);
  const auto logits = model.forward(last, ctx, head, model.size());
  if (cache) cache->commit(ids.size(1));
  return logits.select(1, 0);
}

Generation generate(TransformerModel& model, const std::vector<int32_t>& prompt, const GenerationOptions& options) {
  const ModelConfig& config = model.config();
  check_generation_fits(config, prompt.size(), options);
  for (const int32_t id : prompt)
    if (id < 0 || id >= config.vocab_size)
      throw UsageError("--prompt: token id " + std::to_string(id) + " is outside the vocabulary of model " +
                       config.name + " (vocab_size " + std::to_string(config.vocab_size) +
                       "): its tokenizer does not fit it");
  model.train(false);
  torch::NoGradGuard no_grad;
  const torch::Device device = model.parameters().front().device();
  const auto on_device = torch::TensorOptions().dtype(torch::kLong).device(device);

  std::vector<int64_t> sequence(prompt.begin(), prompt.end());
  std::optional<KvCache> cache;
  if (options.use_cache) cache.emplace(config.n_layer, static_cast<int64_t>(prompt.size()) + options.max_new_tokens);
  TokenRng rng(options.seed);
  Generation out;
  torch::Tensor fresh = torch::tensor(sequence, on_device).unsqueeze(0);  // what the model has not seen
  for (int step = 0; step < options.max_new_tokens; ++step) {
    const auto input = cache ? fresh : torch::tensor(sequence, on_device).unsqueeze(0);
    const auto logits = last_position_logits(model, input, cache ? &*cache : nullptr);
    const int64_t next = pick_next_token(logits[0], options.sampling, rng);
    out.ids.push_back(static_cast<int32_t>(next));
    sequence.push_back(next);
    if (options.eos_id && next == *options.eos_id) {
      out.stopped_at_eos = true;
      break;
    }
    fresh = torch::full({1, 1}, next, on_device);
  }
  return out;
}

}  // namespace tandem
