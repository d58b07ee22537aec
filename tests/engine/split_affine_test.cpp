// The split backward of split_affine gives the gradients of the unsplit one:
// dX at once, dW and db after WeightGradientStash::apply, for both layouts.
#include "engine/model/split_affine.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

struct Case {
  AffineLayout layout;
  bool bias;
};

class SplitAffine : public testing::TestWithParam<Case> {};

// x -> affine -> tanh -> affine (the same weights twice, as a tied weight
// would be) plus a layer-norm-like scale outside the affine maps.
torch::Tensor model(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, const torch::Tensor& scale,
                    AffineLayout layout) {
  auto h = torch::tanh(split_affine(x, w, b, layout)) * scale;
  return split_affine(h, w, b, layout);
}

TEST_P(SplitAffine, SplitGradientsEqualTheUnsplitBackward) {
  const auto [layout, with_bias] = GetParam();
  torch::manual_seed(0);
  const int64_t d = 6;
  auto make = [](std::vector<int64_t> shape) { return torch::randn(shape, torch::kFloat64).requires_grad_(true); };
  auto w = make({d, d});
  auto b = with_bias ? make({d}) : torch::Tensor();
  auto scale = make({d});
  auto x = make({2, 3, d});
  auto dy = torch::randn({2, 3, d}, torch::kFloat64);

  // Reference: plain matmuls, one backward.
  auto plain = [&](const torch::Tensor& in) {
    auto wt = layout == AffineLayout::InOut ? w : w.t();
    auto out = torch::matmul(in, wt);
    return with_bias ? out + b : out;
  };
  auto reference = plain(torch::tanh(plain(x)) * scale);
  EXPECT_TRUE(torch::allclose(model(x, w, b, scale, layout), reference));
  std::vector<torch::Tensor> wrt = {x, w, scale};
  if (with_bias) wrt.push_back(b);
  const auto expected = torch::autograd::grad({reference}, wrt, {dy});

  // The unsplit backward through split_affine.
  const auto full = torch::autograd::grad({model(x, w, b, scale, layout)}, wrt, {dy});
  for (size_t i = 0; i < wrt.size(); ++i) EXPECT_TRUE(torch::allclose(full[i], expected[i])) << "input " << i;

  // Split: the input pass yields dX and the non-affine gradient, nothing for w
  // or b until apply, which accumulates into .grad.
  WeightGradientStash stash;
  std::vector<torch::Tensor> first;
  {
    DeferWeightGradients defer(stash, {w, b});
    first = torch::autograd::grad({model(x, w, b, scale, layout)}, {x, scale, w}, {dy}, false, false, true);
  }
  EXPECT_TRUE(torch::allclose(first[0], expected[0]));
  EXPECT_TRUE(torch::allclose(first[1], expected[2]));
  EXPECT_FALSE(first[2].defined()) << "the weight gradient was computed in the input pass";
  EXPECT_FALSE(w.grad().defined());
  EXPECT_FALSE(stash.empty());
  stash.add_ready(scale, first[1]);
  stash.apply();
  EXPECT_TRUE(stash.empty());
  ASSERT_TRUE(w.grad().defined());
  EXPECT_TRUE(torch::allclose(w.grad(), expected[1]));
  EXPECT_TRUE(torch::allclose(scale.grad(), expected[2]));
  if (with_bias) {
    EXPECT_TRUE(torch::allclose(b.grad(), expected[3]));
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, SplitAffine,
                         testing::Values(Case{AffineLayout::InOut, true}, Case{AffineLayout::OutIn, true},
                                         Case{AffineLayout::OutIn, false}),
                         [](const testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.layout == AffineLayout::InOut ? "Conv1D" : "Linear") +
                                  (info.param.bias ? "WithBias" : "NoBias");
                         });

// Gradient hooks fire on the deferred accumulation, as the data-parallel
// reducer needs.
TEST(SplitAffineStash, AccumulatesThroughAutogradSoHooksFire) {
  auto w = torch::randn({3, 3}).requires_grad_(true);
  int fired = 0;
  w.register_hook([&](const torch::Tensor& g) {
    ++fired;
    return g;
  });
  auto x = torch::randn({4, 3}).requires_grad_(true);
  WeightGradientStash stash;
  {
    DeferWeightGradients defer(stash, {w});
    torch::autograd::grad({split_affine(x, w, torch::Tensor(), AffineLayout::InOut).sum()}, {x});
  }
  EXPECT_EQ(fired, 0);
  stash.apply();
  EXPECT_EQ(fired, 1);
  EXPECT_TRUE(torch::allclose(w.grad(), x.detach().t().mm(torch::ones({4, 3}))));
}

TEST(SplitAffineStash, OneActiveStashPerWeightAndSeveralModelsAtOnce) {
  auto w = torch::randn({3, 3}).requires_grad_(true), v = torch::randn({3, 3}).requires_grad_(true);
  WeightGradientStash a, b, c;
  DeferWeightGradients first(a, {w});
  EXPECT_THROW(DeferWeightGradients second(b, {w}), std::exception);
  // Another model's weights (a rank running as a thread beside this one) get their own.
  DeferWeightGradients other(c, {v});
  auto x = torch::randn({4, 3}).requires_grad_(true);
  torch::autograd::grad({split_affine(x, v, torch::Tensor(), AffineLayout::InOut).sum()}, {x});
  EXPECT_TRUE(a.empty());
  EXPECT_FALSE(c.empty());
}

}  // namespace
}  // namespace tandem
