#pragma once
// The choice of the next token from a model's logits, with transformers'
// meaning of its knobs: greedy (the most likely token) when do_sample is
// false; otherwise a draw from softmax(logits / temperature) over the top_k
// most likely tokens (0: over all), as TemperatureLogitsWarper and
// TopKLogitsWarper do it. Draws come from a seeded generator of our own, so a
// seed gives the same text on every machine and libtorch version.

#include <torch/torch.h>

#include <cstdint>

namespace tandem {

struct SamplingOptions {
  bool do_sample{};
  double temperature{};
  int top_k{};
};

// Throws UsageError naming the flag: a temperature that is not a finite number
// > 0 when sampling, a negative top_k.
void check_sampling_options(const SamplingOptions& options);

// The draws of one generation: 64-bit words from a seed, turned into uniform
// numbers in [0, 1) with 53 random bits.
class TokenRng {
 public:
  explicit TokenRng(uint64_t seed) : state_(seed) {}
  double uniform();

 private:
  uint64_t state_;  // splitmix64
};

// The distribution a draw is taken from, for logits [V]: float64 [V] on the
// CPU, zero outside the top_k.
torch::Tensor next_token_probabilities(const torch::Tensor& logits, const SamplingOptions& options);

// The next token for logits [V]: the arg-max (the first of equals) when not
// sampling, else a draw from next_token_probabilities.
int64_t pick_next_token(const torch::Tensor& logits, const SamplingOptions& options, TokenRng& rng);

}  // namespace tandem
