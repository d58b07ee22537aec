// A GPT's vocabulary padded to a multiple of 64 in memory: the padding rows
// never reach the loss or a prediction, receive no gradient, and never reach a
// file; byte models (vocab 256) are untouched.
#include "engine/checkpoint/safetensors.h"
#include "engine/error.h"
#include "engine/model/gpt_layers.h"
#include "engine/model/transformer_model.h"
#include "engine/model/vocab_padding.h"
#include "tests/common/temp_dir.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

ModelConfig gpt_with_vocab(int vocab, bool tied) {
  auto c = preset_config("gpt-tiny");
  c.name = "gpt-vocab" + std::to_string(vocab);
  c.vocab_size = vocab;
  c.tie_embeddings = tied;
  return c;
}

torch::Tensor param(const TransformerModel& m, const std::string& name) {
  for (auto& [n, p] : m.named_parameters())
    if (n == name) return p;
  throw std::runtime_error("no parameter " + name);
}

TEST(ModelConfig, GptVocabularyPadsToAMultipleOf64) {
  EXPECT_EQ(preset_config("gpt2-124m").padded_vocab(), 50304);
  EXPECT_EQ(preset_config("gpt-tiny").padded_vocab(), 256);
  EXPECT_EQ(gpt_with_vocab(300, true).padded_vocab(), 320);
  EXPECT_EQ(gpt_with_vocab(320, true).padded_vocab(), 320);
  EXPECT_EQ(preset_config("distilbert-base").padded_vocab(), 30522);  // encoders are not padded
}

TEST(VocabPadding, ByteModelsDrawExactlyTheWeightsTheyAlwaysDrew) {
  // gpt-tiny's wte and wpe are the first two draws after the seed, unpadded.
  auto m = TransformerModel::build(preset_config("gpt-tiny"), 7);
  torch::manual_seed(7);
  const auto wte = torch::randn({256, 64}) * 0.02;
  const auto wpe = torch::randn({256, 64}) * 0.01;
  EXPECT_TRUE(torch::equal(param(m, "transformer.wte.weight"), wte));
  EXPECT_TRUE(torch::equal(param(m, "transformer.wpe.weight"), wpe));
}

TEST(VocabPadding, PaddingRowsStartAtZeroAndTheRealRowsAreTheUnpaddedDraw) {
  for (bool tied : {true, false}) {
    auto m = TransformerModel::build(gpt_with_vocab(300, tied), 7);
    const auto name = tied ? "transformer.wte.weight" : "lm_head.weight";
    const auto w = param(m, name);
    EXPECT_EQ(w.sizes(), (std::vector<int64_t>{320, 64})) << name;
    EXPECT_EQ(w.narrow(0, 300, 20).abs().max().item<float>(), 0.0f) << name;
    torch::manual_seed(7);
    EXPECT_TRUE(torch::equal(param(m, "transformer.wte.weight").narrow(0, 0, 300), torch::randn({300, 64}) * 0.02));
  }
}

TEST(VocabPadding, LossAndGradientsEqualTheUnpaddedModelComputedByHand) {
  for (bool tied : {true, false}) {
    auto m = TransformerModel::build(gpt_with_vocab(300, tied), 11);
    const auto head = tied ? "transformer.wte.weight" : "lm_head.weight";
    const auto w = param(m, head);
    {
      // Garbage in the padding rows: the mask, not the zeros, keeps them out.
      torch::NoGradGuard no_grad;
      w.narrow(0, 300, 20).fill_(3.0);
    }
    torch::manual_seed(5);  // the same tokens on every run
    auto ids = torch::randint(0, 300, {3, 17}, torch::kLong);
    auto x = ids.slice(1, 0, 16), y = ids.slice(1, 1, 17).contiguous();
    const BatchContext ctx{x, {}};

    const auto loss = m.loss(x, ctx, y).loss;
    loss.backward();
    const auto grad = w.grad().clone();
    w.mutable_grad() = torch::Tensor();

    // By hand: the blocks and final norm, logits over the 300 real rows only, log-softmax, the targets' mean.
    const auto hidden = m.forward(x, ctx, 0, m.size() - 1);
    const auto logits = torch::matmul(hidden, w.narrow(0, 0, 300).t()).reshape({-1, 300});
    const auto by_hand = -(logits - logits.logsumexp(-1, true)).gather(1, y.reshape({-1, 1})).mean();
    by_hand.backward();
    // float32 sums in another order (the chunked head against one matmul): 1e-5 relative, as the
    // gradients; a 1e-6 bound failed on one draw of random tokens in 2.9e-6.
    EXPECT_NEAR(loss.item<double>(), by_hand.item<double>(), 1e-5 * by_hand.item<double>()) << head;
    EXPECT_TRUE(torch::allclose(grad, w.grad(), 1e-5, 1e-6)) << head << " " << (grad - w.grad()).abs().max().item<double>();
    EXPECT_EQ(grad.narrow(0, 300, 20).abs().max().item<float>(), 0.0f) << head;

    // Logits (evaluation, argmax) cover the real vocabulary only.
    EXPECT_EQ(m.forward(x, ctx).sizes(), (std::vector<int64_t>{3, 16, 300}));
  }
}

TEST(VocabPadding, FilesKeepTheRealRowsAndLoadBackIntoThePaddedParameters) {
  TempDir dir;
  for (bool tied : {true, false}) {
    const auto c = gpt_with_vocab(300, tied);
    auto a = TransformerModel::build(c, 1), b = TransformerModel::build(c, 2);
    save_safetensors(dir.file("m.safetensors"), strip_vocab_padding(a.named_parameters(), c));
    const auto stored = load_safetensors(dir.file("m.safetensors"));
    EXPECT_EQ(stored.at("transformer.wte.weight").sizes(), (std::vector<int64_t>{300, 64}));
    if (!tied) {
      EXPECT_EQ(stored.at("lm_head.weight").sizes(), (std::vector<int64_t>{300, 64}));
    }
    EXPECT_EQ(stored.at("transformer.wpe.weight").sizes(), (std::vector<int64_t>{256, 64}));

    copy_into_parameters(pad_vocab_rows(stored, c, "m.safetensors"), b.named_parameters(), "m.safetensors");
    const auto pa = a.named_parameters(), pb = b.named_parameters();
    ASSERT_EQ(pa.size(), pb.size());
    for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i].second, pb[i].second)) << pa[i].first;
  }
}

TEST(VocabPadding, OptimizerStateIsStrippedAndPaddedButItsStepCountsAreNot) {
  const auto c = gpt_with_vocab(300, true);
  const NamedTensors state = {{"exp_avg.transformer.wte.weight", torch::ones({320, 64})},
                              {"step.transformer.wte.weight", torch::ones({1})},
                              {"exp_avg.transformer.wpe.weight", torch::ones({256, 64})}};
  const auto stripped = strip_vocab_padding(state, c);
  EXPECT_EQ(stripped[0].second.sizes(), (std::vector<int64_t>{300, 64}));
  EXPECT_EQ(stripped[1].second.sizes(), (std::vector<int64_t>{1}));
  EXPECT_EQ(stripped[2].second.sizes(), (std::vector<int64_t>{256, 64}));
  const auto padded = pad_vocab_rows(std::map<std::string, torch::Tensor>(stripped.begin(), stripped.end()), c, "o");
  EXPECT_EQ(padded.at("exp_avg.transformer.wte.weight").sizes(), (std::vector<int64_t>{320, 64}));
  EXPECT_EQ(padded.at("exp_avg.transformer.wte.weight").narrow(0, 300, 20).abs().max().item<float>(), 0.0f);
  EXPECT_EQ(padded.at("step.transformer.wte.weight").sizes(), (std::vector<int64_t>{1}));
}

TEST(VocabPadding, AFileOfAnotherVocabularyIsNamed) {
  const auto c = gpt_with_vocab(300, true);
  try {
    pad_vocab_rows({{"transformer.wte.weight", torch::zeros({320, 64})}}, c, "ckpt/model.safetensors");
    FAIL();
  } catch (const RuntimeFailure& e) {
    EXPECT_STREQ(e.what(), "ckpt/model.safetensors: tensor transformer.wte.weight has 320 rows, the model's vocab_size is 300");
  }
}

TEST(VocabPadding, EncodersAreLeftAlone) {
  const auto c = preset_config("encoder-tiny");
  auto m = TransformerModel::build(c, 0);
  const auto params = m.named_parameters();
  const auto stripped = strip_vocab_padding(params, c);
  ASSERT_EQ(stripped.size(), params.size());
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(stripped[i].second.is_same(params[i].second));
}

}  // namespace
}  // namespace tandem
