// The chunked LM head + cross-entropy against its twin, the full-logits
// composition: loss and both gradients, over chunkings that divide the rows
// and chunkings that leave an uneven last chunk, with padding rows that hold
// garbage (they must be masked, not merely zero), and under bf16 autocast.
#include "engine/error.h"
#include "kernels/lm_head_cross_entropy.h"

#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>

namespace tandem::kernels {
namespace {

constexpr int64_t kRows = 37, kDim = 16, kPadded = 64, kReal = 50;

struct Inputs {
  torch::Tensor hidden, weight, targets;
};

// Leaf tensors that require grad; the weight's padding rows are large, so
// anything that lets them into the softmax shows up in the loss.
Inputs make_inputs(uint64_t seed) {
  torch::manual_seed(seed);
  Inputs in;
  in.hidden = torch::randn({kRows, kDim}).requires_grad_(true);
  auto w = torch::randn({kPadded, kDim}) * 0.5;
  w.narrow(0, kReal, kPadded - kReal).fill_(40.0);
  in.weight = w.requires_grad_(true);
  in.targets = torch::randint(0, kReal, {kRows}, torch::kLong);
  return in;
}

struct Result {
  torch::Tensor loss, d_hidden, d_weight;
};

// Backward from loss × 1.7, so that the upstream gradient's scaling is checked too.
Result run(const Inputs& in, const std::function<torch::Tensor()>& loss_fn) {
  in.hidden.mutable_grad() = torch::Tensor();
  in.weight.mutable_grad() = torch::Tensor();
  auto loss = loss_fn();
  (loss * 1.7).backward();
  return {loss.detach(), in.hidden.grad().clone(), in.weight.grad().clone()};
}

class ChunkRows : public ::testing::TestWithParam<int64_t> {};

TEST_P(ChunkRows, EqualsTheFullLogitsCompositionInLossAndGradients) {
  const auto in = make_inputs(3);
  const auto chunked =
      run(in, [&] { return chunked_lm_head_cross_entropy(in.hidden, in.weight, in.targets, kReal, GetParam()); });
  const auto full = run(in, [&] { return lm_head_cross_entropy_reference(in.hidden, in.weight, in.targets, kReal); });
  EXPECT_EQ(chunked.loss.scalar_type(), torch::kFloat32);
  EXPECT_NEAR(chunked.loss.item<double>(), full.loss.item<double>(), 1e-6 * std::abs(full.loss.item<double>()));
  EXPECT_TRUE(torch::allclose(chunked.d_hidden, full.d_hidden, 1e-5, 1e-7))
      << (chunked.d_hidden - full.d_hidden).abs().max().item<double>();
  EXPECT_TRUE(torch::allclose(chunked.d_weight, full.d_weight, 1e-5, 1e-7))
      << (chunked.d_weight - full.d_weight).abs().max().item<double>();
  // The padding rows' gradient is exactly zero: they stay zero under AdamW.
  EXPECT_EQ(chunked.d_weight.narrow(0, kReal, kPadded - kReal).abs().max().item<float>(), 0.0f);
}

// 37 rows: one row per chunk, an uneven last chunk (5 x 7 + 2), exactly one chunk, and a chunk larger than the rows.
INSTANTIATE_TEST_SUITE_P(Table, ChunkRows, ::testing::Values(1, 7, kRows, 512),
                         [](const auto& info) { return "rows" + std::to_string(info.param); });

TEST(LmHeadCrossEntropy, PaddingRowsDoNotChangeTheLoss) {
  auto in = make_inputs(4);
  const auto loss = chunked_lm_head_cross_entropy(in.hidden, in.weight, in.targets, kReal, 8);
  torch::NoGradGuard no_grad;
  auto zeroed = in.weight.detach().clone();
  zeroed.narrow(0, kReal, kPadded - kReal).zero_();
  const auto again = chunked_lm_head_cross_entropy(in.hidden.detach(), zeroed, in.targets, kReal, 8);
  EXPECT_TRUE(torch::equal(loss.detach(), again));
  // Without padding (real_vocab = all rows) the same weights give another loss: the mask is what hides them.
  const auto unmasked = chunked_lm_head_cross_entropy(in.hidden.detach(), in.weight.detach(), in.targets, kPadded, 8);
  EXPECT_GT(unmasked.item<double>(), loss.item<double>() + 1.0);
}

TEST(LmHeadCrossEntropy, InputAndWeightGradientsAskedSeparatelyMatchTheJointOnes) {
  // The zero-bubble schedule takes the input's gradient first and the weight's later.
  const auto in = make_inputs(5);
  const auto joint =
      run(in, [&] { return chunked_lm_head_cross_entropy(in.hidden, in.weight, in.targets, kReal, 10); });
  const auto loss = chunked_lm_head_cross_entropy(in.hidden, in.weight, in.targets, kReal, 10) * 1.7;
  const auto d_hidden = torch::autograd::grad({loss}, {in.hidden}, {}, /*retain_graph=*/true)[0];
  const auto d_weight = torch::autograd::grad({loss}, {in.weight})[0];
  EXPECT_TRUE(torch::equal(d_hidden, joint.d_hidden));
  EXPECT_TRUE(torch::equal(d_weight, joint.d_weight));
}

// CPU autocast to bf16 for the guard's lifetime (as the engine's AutocastGuard).
struct Bf16Autocast {
  Bf16Autocast() {
    at::autocast::set_autocast_enabled(at::kCPU, true);
    at::autocast::set_autocast_dtype(at::kCPU, at::kBFloat16);
  }
  ~Bf16Autocast() {
    at::autocast::set_autocast_enabled(at::kCPU, false);
    at::autocast::clear_cache();
  }
};

TEST(LmHeadCrossEntropy, Bf16AutocastMatchesTheCompositionUnderAutocast) {
  const auto in = make_inputs(6);
  Result chunked, full;
  {
    Bf16Autocast autocast;
    chunked = run(in, [&] { return chunked_lm_head_cross_entropy(in.hidden, in.weight, in.targets, kReal, 7); });
    full = run(in, [&] { return lm_head_cross_entropy_reference(in.hidden, in.weight, in.targets, kReal); });
  }
  EXPECT_EQ(chunked.loss.scalar_type(), torch::kFloat32);
  EXPECT_EQ(chunked.d_hidden.scalar_type(), torch::kFloat32);
  EXPECT_EQ(chunked.d_weight.scalar_type(), torch::kFloat32);
  // Both run the matmuls in bf16 (about 3 significant digits).
  EXPECT_NEAR(chunked.loss.item<double>(), full.loss.item<double>(), 1e-2 * std::abs(full.loss.item<double>()));
  auto relative = [](const torch::Tensor& a, const torch::Tensor& b) { return ((a - b).norm() / b.norm()).item<double>(); };
  EXPECT_LT(relative(chunked.d_hidden, full.d_hidden), 2e-2);
  EXPECT_LT(relative(chunked.d_weight, full.d_weight), 2e-2);
  // And bf16 really was used: the float32 result differs.
  const auto fp32 = chunked_lm_head_cross_entropy(in.hidden, in.weight, in.targets, kReal, 7);
  EXPECT_NE(fp32.item<float>(), chunked.loss.item<float>());
}

TEST(LmHeadCrossEntropy, BadShapesAreRefusedNamingThem) {
  const auto in = make_inputs(7);
  try {
    chunked_lm_head_cross_entropy(in.hidden, in.weight.narrow(1, 0, 8), in.targets, kReal, 8);
    FAIL();
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("hidden [37, 16] and weight [64, 8]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(chunked_lm_head_cross_entropy(in.hidden, in.weight, in.targets, kPadded + 1, 8), RuntimeFailure);
  EXPECT_THROW(chunked_lm_head_cross_entropy(in.hidden, in.weight, in.targets.narrow(0, 0, 5), kReal, 8), RuntimeFailure);
  EXPECT_THROW(chunked_lm_head_cross_entropy(in.hidden, in.weight, in.targets, kReal, 0), RuntimeFailure);
}

}  // namespace
}  // namespace tandem::kernels
