// Text generation (engine/generate/): the KV cache gives a full forward's
// logits step by step, the sampler keeps transformers' meaning of greedy,
// temperature and top-k, and a seed fixes the tokens.
#include "engine/error.h"
#include "engine/generate/generator.h"
#include "engine/generate/kv_cache.h"
#include "engine/generate/sampler.h"
#include "tests/common/error_matchers.h"

#include <gtest/gtest.h>

#include <ostream>
#include <set>

namespace tandem {
namespace {

// A GPT with weights large enough that its logits differ clearly between
// positions (the presets' 0.02 initialisation makes them nearly uniform).
TransformerModel sharp_gpt(ModelConfig config, uint64_t seed) {
  auto model = TransformerModel::build(config, seed);
  torch::NoGradGuard no_grad;
  for (auto& p : model.parameters())
    if (p.dim() == 2) p.mul_(5);
  model.train(false);
  return model;
}

struct CacheCase {
  const char* name;
  bool tied;
  int64_t batch, prefill, chunk;  // positions of the first call, then of each later call
};

void PrintTo(const CacheCase& c, std::ostream* os) { *os << c.name; }

class KvCacheParity : public ::testing::TestWithParam<CacheCase> {};

TEST_P(KvCacheParity, LastPositionLogitsEqualAFullForwardStepByStep) {
  const auto& c = GetParam();
  ModelConfig config = preset_config("gpt-tiny");
  config.tie_embeddings = c.tied;
  const auto model = sharp_gpt(config, 11);
  const int64_t length = 24;
  torch::manual_seed(5);
  const auto ids = torch::randint(0, config.vocab_size, {c.batch, length}, torch::kLong);
  torch::NoGradGuard no_grad;
  BatchContext whole;
  whole.input_ids = ids;
  const auto full = model.forward(ids, whole);  // [B, T, V], no cache
  const double scale = full.abs().max().item<double>();
  ASSERT_GT(scale, 1.0);

  KvCache cache(config.n_layer, length);
  for (int64_t begin = 0; begin < length;) {
    const int64_t count = std::min(begin == 0 ? c.prefill : c.chunk, length - begin);
    const auto logits = last_position_logits(model, ids.narrow(1, begin, count), &cache);
    begin += count;
    EXPECT_EQ(cache.length(), begin);
    const auto expected = full.select(1, begin - 1);
    const double worst = (logits - expected).abs().max().item<double>();
    EXPECT_LE(worst, 1e-5 * scale) << "position " << begin - 1 << ": largest difference " << worst << " of " << scale;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Generate, KvCacheParity,
    ::testing::Values(CacheCase{"TiedHeadOneTokenAtATime", true, 1, 5, 1},
                      CacheCase{"UntiedHeadOneTokenAtATime", false, 1, 1, 1},
                      // Chunks of several tokens after the first: the causal mask must start at the cached length.
                      CacheCase{"BatchOfTwoInChunksOfThree", true, 2, 4, 3}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(KvCache, RefusesMorePositionsThanItHolds) {
  KvCache cache(1, 4);
  const auto kv = torch::zeros({1, 2, 3, 8});
  cache.append(0, kv, kv);
  cache.commit(3);
  EXPECT_ERROR(cache.append(0, kv, kv), RuntimeFailure, "cannot take 3 more after 3");
  EXPECT_ERROR(cache.append(1, kv, kv), RuntimeFailure, "block 1 of 1");
}

SamplingOptions sampling(double temperature, int top_k) { return {true, temperature, top_k}; }

TEST(Sampler, GreedyIsTheArgMaxAndIgnoresTemperature) {
  const auto logits = torch::tensor({0.5, 3.0, -1.0, 3.0, 2.9});
  TokenRng rng(1);
  EXPECT_EQ(pick_next_token(logits, {false, 0.0, 0}, rng), 1);  // the first of equals, as torch.argmax
  EXPECT_EQ(pick_next_token(logits, {false, 7.0, 2}, rng), 1);
}

TEST(Sampler, TopKNeverPicksOutsideTheTopK) {
  torch::manual_seed(3);
  const auto logits = torch::randn({64});
  const int k = 5;
  const auto top = std::get<1>(logits.topk(k));
  std::set<int64_t> allowed;
  for (int i = 0; i < k; ++i) allowed.insert(top[i].item<int64_t>());
  std::set<int64_t> seen;
  TokenRng rng(2026);
  // Temperature 4 flattens the distribution, so without the limit most draws would fall outside.
  for (int draw = 0; draw < 3000; ++draw) {
    const int64_t token = pick_next_token(logits, sampling(4.0, k), rng);
    ASSERT_TRUE(allowed.count(token)) << "draw " << draw << " picked token " << token << ", not in the top " << k;
    seen.insert(token);
  }
  EXPECT_EQ(seen, allowed) << "every one of the top k is possible";
  const auto p = next_token_probabilities(logits, sampling(4.0, k));
  EXPECT_NEAR(p.index_select(0, top).sum().item<double>(), 1.0, 1e-12);
}

TEST(Sampler, TopKKeepsTiesWithTheKthLogit) {
  const auto p = next_token_probabilities(torch::tensor({1.0, 2.0, 2.0, 0.0}), sampling(1.0, 1));
  EXPECT_NEAR(p[1].item<double>(), 0.5, 1e-12);
  EXPECT_NEAR(p[2].item<double>(), 0.5, 1e-12);
  EXPECT_EQ(p[0].item<double>(), 0.0);
}

TEST(Sampler, TemperatureSamplesSoftmaxOfTheScaledLogits) {
  const auto logits = torch::tensor({2.0, 1.0, 0.0, -1.0}, torch::kDouble);
  double previous_top = 0;
  for (const double temperature : {2.0, 1.0, 0.5}) {
    SCOPED_TRACE("temperature " + std::to_string(temperature));
    const auto expected = torch::softmax(logits / temperature, 0);
    const auto p = next_token_probabilities(logits, sampling(temperature, 0));
    EXPECT_TRUE(torch::allclose(p, expected, 0, 1e-12)) << p << "\nexpected\n" << expected;
    EXPECT_GT(p[0].item<double>(), previous_top) << "a lower temperature favours the most likely token more";
    previous_top = p[0].item<double>();
    // The draws follow it: 20000 draws put each frequency within 0.015 of its probability
    // (over 4 standard deviations at these probabilities).
    const int draws = 20000;
    std::vector<int> counts(4, 0);
    TokenRng rng(77);
    for (int i = 0; i < draws; ++i) ++counts[pick_next_token(logits, sampling(temperature, 0), rng)];
    for (int t = 0; t < 4; ++t)
      EXPECT_NEAR(counts[t] / static_cast<double>(draws), expected[t].item<double>(), 0.015) << "token " << t;
  }
}

TEST(Sampler, RefusesTemperaturesAndTopKThatMeanNothing) {
  EXPECT_ERROR(check_sampling_options(sampling(0.0, 50)), UsageError, "--temperature: 0 with --do_sample True");
  EXPECT_ERROR(check_sampling_options(sampling(-1.0, 50)), UsageError, "--temperature: -1");
  EXPECT_ERROR(check_sampling_options(sampling(std::nan(""), 50)), UsageError, "--temperature: nan");
  EXPECT_ERROR(check_sampling_options(sampling(1.0, -1)), UsageError, "--top_k: -1 is negative");
  EXPECT_NO_THROW(check_sampling_options({false, 0.0, 0}));  // greedy reads no temperature
}

TEST(Sampler, NonFiniteLogitsAreAnError) {
  TokenRng rng(1);
  EXPECT_ERROR(pick_next_token(torch::tensor({1.0, std::nan(""), 0.0}), {false, 1.0, 0}, rng), RuntimeFailure,
               "not finite");
}

std::vector<int32_t> bytes_of(const std::string& text) { return std::vector<int32_t>(text.begin(), text.end()); }

GenerationOptions options(bool do_sample, uint64_t seed, bool use_cache) {
  GenerationOptions o;
  o.max_new_tokens = 24;
  o.sampling = {do_sample, 1.0, 0};
  o.seed = seed;
  o.use_cache = use_cache;
  return o;
}

TEST(Generate, SameSeedSameTokensAnotherSeedMayDiffer) {
  auto model = sharp_gpt(preset_config("gpt-tiny"), 4);
  const auto prompt = bytes_of("Once upon a time");
  const auto first = generate(model, prompt, options(true, 7, true)).ids;
  EXPECT_EQ(first.size(), 24u);
  EXPECT_EQ(generate(model, prompt, options(true, 7, true)).ids, first);
  int different = 0;
  for (uint64_t seed : {1, 2, 3, 4}) different += generate(model, prompt, options(true, seed, true)).ids != first;
  EXPECT_GT(different, 0) << "four other seeds all gave seed 7's tokens";
}

TEST(Generate, WithAndWithoutTheCacheGiveTheSameTokens) {
  auto model = sharp_gpt(preset_config("gpt-tiny"), 9);
  const auto prompt = bytes_of("The quick brown fox");
  EXPECT_EQ(generate(model, prompt, options(false, 0, true)).ids, generate(model, prompt, options(false, 0, false)).ids);
  EXPECT_EQ(generate(model, prompt, options(true, 5, true)).ids, generate(model, prompt, options(true, 5, false)).ids);
}

TEST(Generate, StopsAtTheEndOfTextToken) {
  auto model = sharp_gpt(preset_config("gpt-tiny"), 9);
  const auto prompt = bytes_of("The quick brown fox");
  const auto greedy = generate(model, prompt, options(false, 0, true));
  EXPECT_FALSE(greedy.stopped_at_eos);
  auto stopping = options(false, 0, true);
  stopping.eos_id = greedy.ids[2];
  const auto stopped = generate(model, prompt, stopping);
  EXPECT_TRUE(stopped.stopped_at_eos);
  ASSERT_LE(stopped.ids.size(), 3u);
  EXPECT_EQ(stopped.ids.back(), greedy.ids[2]);
  EXPECT_EQ(stopped.ids, std::vector<int32_t>(greedy.ids.begin(), greedy.ids.begin() + stopped.ids.size()));
}

TEST(Generate, RefusesEncodersOverlongPromptsAndForeignIds) {
  auto encoder = TransformerModel::build(preset_config("encoder-tiny"), 0);
  EXPECT_ERROR(generate(encoder, bytes_of("hi"), options(false, 0, true)), UsageError,
               "encoder-tiny is a distilbert encoder; tandem generate needs a causal language model (gpt2)");
  auto model = TransformerModel::build(preset_config("gpt-tiny"), 0);
  auto too_many = options(false, 0, true);
  too_many.max_new_tokens = 10;
  EXPECT_ERROR(generate(model, std::vector<int32_t>(250, 65), too_many), UsageError,
               "--prompt: 250 tokens + --max_new_tokens 10 exceed the 256 positions (n_positions) of model gpt-tiny");
  EXPECT_ERROR(generate(model, {}, too_many), UsageError, "--prompt: the text gives no token");
  EXPECT_ERROR(generate(model, {65, 300}, too_many), UsageError, "token id 300 is outside the vocabulary");
}

}  // namespace
}  // namespace tandem
