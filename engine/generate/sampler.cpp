#include "engine/generate/sampler.h"

#include "engine/error.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

namespace tandem {
namespace {

std::string number_text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

void check_sampling_options(const SamplingOptions& options) {
  if (options.top_k < 0)
    throw UsageError("--top_k: " + std::to_string(options.top_k) + " is negative (expected 0 for no limit, or the "
                     "number of most likely tokens to sample from)");
  if (options.do_sample && !(std::isfinite(options.temperature) && options.temperature > 0))
    throw UsageError("--temperature: " + number_text(options.temperature) +
                     " with --do_sample True (expected a finite number > 0; --do_sample False decodes greedily)");
}

double TokenRng::uniform() {
  // splitmix64 (Steele, Lea and Flood): a full-period 64-bit sequence from any seed.
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

torch::Tensor next_token_probabilities(const torch::Tensor& logits, const SamplingOptions& options) {
  check_sampling_options(options);
  auto scaled = logits.detach().to(torch::kCPU, torch::kDouble).reshape({-1});
  if (options.do_sample) scaled = scaled / options.temperature;
  const int64_t vocab = scaled.size(0);
  if (options.top_k > 0 && options.top_k < vocab) {
    // Every logit below the k-th largest leaves; ties with it stay, as in TopKLogitsWarper.
    const double kth = std::get<0>(scaled.topk(options.top_k)).min().item<double>();
    scaled = scaled.masked_fill(scaled < kth, -std::numeric_limits<double>::infinity());
  }
  return torch::softmax(scaled, 0);
}

int64_t pick_next_token(const torch::Tensor& logits, const SamplingOptions& options, TokenRng& rng) {
  // A NaN would be the arg-max of nothing and poison every probability.
  if (!torch::isfinite(logits).all().item<bool>())
    throw RuntimeFailure("the model's next-token logits are not finite (NaN or infinite): its weights are damaged");
  if (!options.do_sample) return logits.reshape({-1}).argmax().item<int64_t>();
  const auto probabilities = next_token_probabilities(logits, options);
  const auto p = probabilities.accessor<double, 1>();
  // Inverse transform: the first token whose cumulative probability passes u.
  // Tokens of probability zero (outside the top k) are never chosen, even when
  // rounding leaves the sum just under 1.
  const double u = rng.uniform();
  double cumulative = 0;
  int64_t last_possible = -1;
  for (int64_t i = 0; i < p.size(0); ++i) {
    if (p[i] <= 0) continue;
    cumulative += p[i];
    last_possible = i;
    if (u < cumulative) return i;
  }
  return last_possible;  // a probability is positive: at least the largest logit's
}

}  // namespace tandem
