#pragma once
// Parity between runs of the same job in different parallel layouts: per-step
// losses and final parameters.
#include "engine/checkpoint/safetensors.h"
#include "tests/e2e/run_tandem.h"
#include "tests/common/temp_dir.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tandem::e2e {

// fp32 on CPU: only the order of summation differs. Losses agree to kRelTol
// relative. Parameters: the whole parameter vector agrees to kRelTol relative
// (L2), and each element to kRelTol relative plus kRelTol absolute — AdamW
// divides by sqrt(v), which turns rounding noise in gradients that are zero in
// exact arithmetic (the attention key bias) into updates of order lr.
constexpr double kRelTol = 1e-5;

inline void expect_same_training(const TempDir& dir, const std::string& a, const std::string& b) {
  auto la = losses_by_step(dir.file(a + "/out/metrics.jsonl"));
  auto lb = losses_by_step(dir.file(b + "/out/metrics.jsonl"));
  ASSERT_FALSE(la.empty());
  ASSERT_EQ(lb.size(), la.size());
  for (auto& [step, loss] : la) EXPECT_NEAR(lb.at(step), loss, kRelTol * std::abs(loss)) << "step " << step;
  auto pa = load_safetensors(dir.file(a + "/model/model.safetensors"));
  auto pb = load_safetensors(dir.file(b + "/model/model.safetensors"));
  ASSERT_EQ(pa.size(), pb.size());
  double diff_sq = 0, norm_sq = 0;
  for (auto& [name, t] : pa) {
    const auto& u = pb.at(name);
    EXPECT_TRUE(torch::allclose(u, t, kRelTol, kRelTol)) << name << " max diff " << (t - u).abs().max().item<double>();
    diff_sq += (t - u).to(torch::kDouble).pow(2).sum().item<double>();
    norm_sq += t.to(torch::kDouble).pow(2).sum().item<double>();
  }
  EXPECT_LE(std::sqrt(diff_sq / norm_sq), kRelTol);
}

}  // namespace tandem::e2e
