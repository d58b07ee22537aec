// Mixed precision: autocast's dtypes in the model, float32 where it must
// stay, and the float16 loss scaler's dynamics (torch.amp.GradScaler's).
#include "engine/error.h"
#include "engine/model/transformer_model.h"
#include "engine/train/precision.h"

#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>

namespace tandem {
namespace {

TEST(Precision, FlagsPickOneDtypeAndRefuseBoth) {
  EXPECT_EQ(autocast_dtype(false, false), std::nullopt);
  EXPECT_EQ(autocast_dtype(true, false), torch::kBFloat16);
  EXPECT_EQ(autocast_dtype(false, true), torch::kFloat16);
  EXPECT_THROW(autocast_dtype(true, true), UsageError);
}

TEST(Precision, Bf16ForwardRunsMatmulsInBf16AndKeepsWeightsAndLossFloat32) {
  auto m = TransformerModel::build(preset_config("gpt-tiny"), 0);
  auto ids = torch::randint(0, 256, {2, 9}, torch::kLong);
  auto x = ids.slice(1, 0, 8), y = ids.slice(1, 1, 9).contiguous();
  const auto fp32_logits = m.forward(x, BatchContext{x, {}});
  m.set_autocast(torch::kBFloat16);
  const auto logits = m.forward(x, BatchContext{x, {}});
  EXPECT_EQ(logits.scalar_type(), torch::kBFloat16);
  const auto loss = model_loss(m.config().family, logits, y);
  EXPECT_EQ(loss.scalar_type(), torch::kFloat32);
  loss.backward();
  for (auto& [n, p] : m.named_parameters()) {
    EXPECT_EQ(p.scalar_type(), torch::kFloat32) << n;  // master weights
    if (p.grad().defined()) {
      EXPECT_EQ(p.grad().scalar_type(), torch::kFloat32) << n;
    }
  }
  // bf16 keeps about 3 significant digits: logits agree with float32 to that.
  EXPECT_LT((logits.to(torch::kFloat32) - fp32_logits).abs().max().item<double>(), 0.05);
  EXPECT_FALSE(at::autocast::is_autocast_enabled(at::kCPU));  // the guard restored the state
}

TEST(LossScaler, BacksOffOnOverflowAndGrowsAfterTheInterval) {
  LossScaler scaler(torch::kCPU, {65536.0, 2.0, 0.5, 3});
  auto p = torch::ones({4}, torch::requires_grad());
  p.mutable_grad() = torch::full({4}, 65536.0 * 2);
  auto found = scaler.unscale({p});
  EXPECT_EQ(found.item<float>(), 0.0f);
  EXPECT_TRUE(torch::equal(p.grad(), torch::full({4}, 2.0)));  // divided by the scale
  scaler.update(found);
  p.grad()[1] = std::numeric_limits<float>::infinity();
  found = scaler.unscale({p});
  EXPECT_EQ(found.item<float>(), 1.0f);
  scaler.update(found);
  EXPECT_EQ(scaler.scale().item<double>(), 32768.0);  // halved
  for (int i = 0; i < 3; ++i) scaler.update(torch::zeros({1}));
  EXPECT_EQ(scaler.scale().item<double>(), 65536.0);  // doubled after 3 clean steps
}

TEST(LossScaler, StateRoundTripsAndANonFp16CheckpointIsNamed) {
  LossScaler a(torch::kCPU), b(torch::kCPU);
  a.update(torch::ones({1}));
  std::map<std::string, torch::Tensor> saved;
  for (auto& [k, v] : a.state()) saved[k] = v.clone();
  b.load_state(saved, "ckpt/optimizer.safetensors");
  EXPECT_EQ(b.scale().item<double>(), 32768.0);
  try {
    b.load_state({}, "ckpt/optimizer.safetensors");
    FAIL();
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("ckpt/optimizer.safetensors"), std::string::npos);
  }
}

}  // namespace
}  // namespace tandem
