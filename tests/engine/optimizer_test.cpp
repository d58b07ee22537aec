// AdamW's multi-tensor kernels against libtorch's reference AdamW, the
// on-device clip against the norm computed by hand, and optimizer state round trips.
#include "engine/error.h"
#include "engine/model/transformer_model.h"
#include "engine/train/optimizer.h"

#include <gtest/gtest.h>

#include <ostream>

namespace tandem {

// Kernel names in test listings instead of the enum's bytes (ADL finds it here, beside AdamWKernel).
static void PrintTo(AdamWKernel kernel, std::ostream* os) { *os << (kernel == AdamWKernel::Fused ? "Fused" : "Foreach"); }

namespace {

// A gpt-tiny with gradients from one real batch; every call gives the same weights and gradients.
struct Trained {
  TransformerModel model = TransformerModel::build(preset_config("gpt-tiny"), 7);
  void backward(int seed) {
    torch::manual_seed(seed);
    auto ids = torch::randint(0, 256, {2, 17}, torch::kLong);
    auto x = ids.slice(1, 0, 16), y = ids.slice(1, 1, 17).contiguous();
    model_loss(model.config().family, model.forward(x, BatchContext{x, {}}), y).backward();
  }
};

void expect_close(const NamedTensors& a, const NamedTensors& b, double rtol, double atol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(torch::allclose(a[i].second, b[i].second, rtol, atol))
        << a[i].first << ": max difference " << (a[i].second - b[i].second).abs().max().item<double>();
}

// `tandem train`'s AdamW settings (the flag table's defaults) at another learning rate.
AdamWSettings defaults_with_lr(double lr) {
  AdamWSettings s = adamw_settings(TrainArgs{});
  s.lr = lr;
  return s;
}

class AdamWKernels : public ::testing::TestWithParam<AdamWKernel> {};
void compare_with_libtorch(AdamWKernel kernel, int steps, double atol);

// After one step the gradients are bitwise equal, so only the update's
// arithmetic differs: float32 rounding. Over several steps, gradients that are
// zero in theory (the attention key bias) carry rounding noise that AdamW's
// normalisation turns into updates of order lr; the tolerance says so.
TEST_P(AdamWKernels, EqualLibtorchAdamWWithinFloat32Tolerance) {
  for (const auto& [steps, atol] : {std::pair{1, 1e-7}, std::pair{4, 5e-4}}) {
    SCOPED_TRACE(std::to_string(steps) + " steps");
    compare_with_libtorch(GetParam(), steps, atol);
  }
}

void compare_with_libtorch(AdamWKernel kernel, int steps, double atol) {
  const AdamWSettings s{1e-2, 0.9, 0.95, 1e-8, 0.1};
  Trained ours, reference;
  AdamW adamw(ours.model.named_parameters(), s, kernel);
  // libtorch's AdamW with the same two groups (no decay on biases and norms).
  std::vector<torch::Tensor> decay, no_decay;
  for (auto& [name, p] : reference.model.named_parameters())
    (p.dim() >= 2 && name.find("bias") == std::string::npos ? decay : no_decay).push_back(p);
  auto options = [&](double wd) { return torch::optim::AdamWOptions(s.lr).betas({s.beta1, s.beta2}).eps(s.eps).weight_decay(wd); };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(options(s.weight_decay)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(options(0.0)));
  torch::optim::AdamW libtorch(groups, options(s.weight_decay));
  for (int step = 0; step < steps; ++step) {
    adamw.zero_grad();
    libtorch.zero_grad(/*set_to_none=*/false);
    ours.backward(step);
    reference.backward(step);
    adamw.step();
    libtorch.step();
  }
  expect_close(ours.model.named_parameters(), reference.model.named_parameters(), 1e-5, atol);
}

TEST_P(AdamWKernels, FoundInfSkipsTheUpdate) {
  Trained t;
  AdamW adamw(t.model.named_parameters(), defaults_with_lr(1e-2), GetParam());
  const auto before = t.model.named_parameters().front().second.clone();
  t.backward(0);
  adamw.step(torch::ones({1}));
  EXPECT_TRUE(torch::equal(before, t.model.named_parameters().front().second));
  adamw.step(torch::zeros({1}));
  EXPECT_FALSE(torch::equal(before, t.model.named_parameters().front().second));
}

INSTANTIATE_TEST_SUITE_P(Kernels, AdamWKernels, ::testing::Values(AdamWKernel::Fused, AdamWKernel::Foreach),
                         [](const auto& info) { return info.param == AdamWKernel::Fused ? "Fused" : "Foreach"; });

// The defaults Hugging Face's TrainingArguments has, now written only in the flag table.
TEST(AdamWSettings, DefaultsAreTrainFlagDefaults) {
  const AdamWSettings s = adamw_settings(TrainArgs{});
  EXPECT_EQ(s.lr, 5e-5);
  EXPECT_EQ(s.beta1, 0.9);
  EXPECT_EQ(s.beta2, 0.999);
  EXPECT_EQ(s.eps, 1e-8);
  EXPECT_EQ(s.weight_decay, 0.0);
}

TEST(AdamW, ZeroGradKeepsGradientTensorsInPlace) {
  Trained t;
  AdamW adamw(t.model.named_parameters(), adamw_settings(TrainArgs{}));
  t.backward(0);
  auto& p = t.model.named_parameters().front().second;
  const void* storage = p.grad().data_ptr();
  adamw.zero_grad();
  EXPECT_EQ(p.grad().data_ptr(), storage);  // gradients that are bucket views stay views
  EXPECT_EQ(p.grad().abs().sum().item<double>(), 0.0);
}

TEST(AdamW, StateRoundTripsAndNamesWhatIsMissing) {
  Trained a, b;
  AdamW first(a.model.named_parameters(), defaults_with_lr(1e-2));
  a.backward(0);
  first.step();
  std::map<std::string, torch::Tensor> saved;
  for (auto& [k, v] : first.state()) saved[k] = v.clone();
  AdamW second(b.model.named_parameters(), defaults_with_lr(1e-2));
  second.load_state(saved, "optimizer.safetensors");
  expect_close(first.state(), second.state(), 0, 0);
  EXPECT_EQ(second.steps_taken(), 1);
  saved.erase("exp_avg.transformer.wte.weight");
  try {
    second.load_state(saved, "optimizer.safetensors");
    FAIL() << "a missing tensor loaded";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("exp_avg.transformer.wte.weight"), std::string::npos) << e.what();
  }
}

TEST(ClipGradNorm, MatchesTheNormByHandAndClipsToMaxNorm) {
  Trained t;
  t.backward(0);
  std::vector<torch::Tensor> params;
  double by_hand = 0;
  for (auto& [n, p] : t.model.named_parameters()) {
    params.push_back(p);
    by_hand += p.grad().to(torch::kDouble).pow(2).sum().item<double>();
  }
  by_hand = std::sqrt(by_hand);
  const auto identity = [](torch::Tensor x) { return x; };
  const double norm = clip_grad_norm(params, by_hand / 4, identity).item<double>();
  EXPECT_NEAR(norm, by_hand, 1e-5 * by_hand);
  EXPECT_NEAR(grad_norm_squared(params).sqrt().item<double>(), by_hand / 4, 1e-4 * by_hand);
  // Below max_norm nothing changes (the factor is clamped to exactly 1).
  const auto before = params.front().grad().clone();
  clip_grad_norm(params, by_hand, identity);
  EXPECT_TRUE(torch::equal(before, params.front().grad()));
}

}  // namespace
}  // namespace tandem
