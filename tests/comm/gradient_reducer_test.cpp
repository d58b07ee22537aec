// The data-parallel reducer at 1, 2 and 4 ranks: plan, initial broadcast,
// averaging, accumulation without sync, and unused parameters.
#include "parallel/comm/runtime.h"
#include "parallel/ddp/bucket_plan.h"
#include "parallel/ddp/gradient_reducer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace tandem::ddp {
namespace {

comm::Communicator& world() { return comm::world(); }

TEST(BucketPlan, ReverseOrderSmallFirstBucketThenCapped) {
  // 4-byte elements: first bucket 64 B (16 elems), then 128 B (32 elems).
  auto plan = plan_buckets({10, 20, 5, 12, 4}, 4, 64, 128);
  ASSERT_EQ(plan.buckets.size(), 3u);
  // Reverse order: 4 (4 elems), 3 (12) -> 16 elems fill the first bucket.
  EXPECT_EQ(plan.buckets[0].slots[0].parameter, 4u);
  EXPECT_EQ(plan.buckets[0].slots[1].parameter, 3u);
  EXPECT_EQ(plan.buckets[0].numel, 16);
  EXPECT_EQ(plan.buckets[1].numel, 25);  // params 2 and 1
  EXPECT_EQ(plan.buckets[2].numel, 10);  // param 0
  EXPECT_EQ(plan.bucket_of[0], 2u);
  EXPECT_EQ(plan.buckets[1].slots[1].offset, 5);
}

TEST(BucketPlan, OversizedParameterGetsItsOwnBucket) {
  auto plan = plan_buckets({1000, 2, 3}, 4, 64, 128);
  ASSERT_EQ(plan.buckets.size(), 2u);
  EXPECT_EQ(plan.buckets[1].numel, 1000);
}

std::vector<torch::Tensor> make_params(int seed) {
  torch::manual_seed(seed);
  return {torch::randn({7, 3}).requires_grad_(true), torch::randn({5}).requires_grad_(true),
          torch::randn({300}).requires_grad_(true)};
}

TEST(GradientReducer, BroadcastMakesDifferentlySeededRanksIdentical) {
  auto params = make_params(100 + world().rank());
  GradientReducer reducer(params, world(), {64, 256});
  auto expected = make_params(100);  // rank 0's seed
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::equal(params[i], expected[i])) << i;
}

// loss = Σ_i c_r · sum(p_i²)/2, so grad p_i = c_r · p_i with c_r = rank + 1.
void backward_with_scale(const std::vector<torch::Tensor>& params, double c) {
  auto loss = torch::zeros({});
  for (const auto& p : params) loss = loss + p.pow(2).sum() * (c / 2);
  loss.backward();
}

TEST(GradientReducer, AveragesGradientsOverRanks) {
  auto params = make_params(7);
  GradientReducer reducer(params, world(), {64, 256});
  EXPECT_GE(reducer.plan().buckets.size(), 2u);
  reducer.before_backward(true);
  backward_with_scale(params, world().rank() + 1);
  reducer.finish();
  const double mean_c = (world().size() + 1) / 2.0;
  for (const auto& p : params) EXPECT_TRUE(torch::allclose(p.grad(), p.detach() * mean_c, 1e-6, 1e-6));
}

TEST(GradientReducer, NoSyncMicroStepsAccumulateThenReduceOnce) {
  auto params = make_params(9);
  GradientReducer reducer(params, world(), {64, 256});
  reducer.before_backward(false);
  backward_with_scale(params, 1.0);  // accumulates locally only
  reducer.before_backward(true);
  backward_with_scale(params, world().rank() + 1);
  reducer.finish();
  // grad = 1·p + c_r·p, averaged over ranks.
  const double expected = 1.0 + (world().size() + 1) / 2.0;
  for (const auto& p : params) EXPECT_TRUE(torch::allclose(p.grad(), p.detach() * expected, 1e-6, 1e-6));
}

TEST(GradientReducer, UnusedParameterStillReducedInOrder) {
  auto params = make_params(11);
  GradientReducer reducer(params, world(), {64, 256});
  reducer.before_backward(true);
  backward_with_scale({params[0], params[2]}, world().rank() + 1);  // params[1] gets no gradient
  reducer.finish();
  EXPECT_TRUE(params[1].grad().defined());
  EXPECT_TRUE(torch::equal(params[1].grad(), torch::zeros_like(params[1])));
  const double mean_c = (world().size() + 1) / 2.0;
  EXPECT_TRUE(torch::allclose(params[2].grad(), params[2].detach() * mean_c, 1e-6, 1e-6));
}

TEST(GradientReducer, LayoutIsCheckedAcrossRanks) {
  // Rank 1 holds a differently shaped model: every rank gets the same error, nobody hangs.
  if (world().size() < 2) GTEST_SKIP() << "needs 2 ranks to disagree";
  std::vector<torch::Tensor> params = make_params(1);
  if (world().rank() == 1) params.push_back(torch::zeros({4}, torch::requires_grad()));
  try {
    GradientReducer reducer(params, world(), {64, 256});
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("data-parallel bucket layout differs"), std::string::npos) << e.what();
  }
}

// DDP's gradient_as_bucket_view: gradients live in the buckets (no second
// copy), and stay there through backward and the reduction.
TEST(GradientReducer, GradientsAreViewsIntoTheBuckets) {
  auto params = make_params(13);
  GradientReducer reducer(params, comm::world(), {64, 256});
  std::vector<const void*> before;
  for (const auto& p : params) before.push_back(p.grad().data_ptr());
  for (const auto& bucket : reducer.plan().buckets)
    for (const auto& slot : bucket.slots)
      EXPECT_TRUE(params[slot.parameter].grad().is_alias_of(params[bucket.slots.front().parameter].grad()))
          << "parameter " << slot.parameter;
  reducer.before_backward(true);
  auto loss = torch::zeros({});
  for (const auto& p : params) loss = loss + p.pow(2).sum();
  loss.backward();
  reducer.finish();
  for (size_t i = 0; i < params.size(); ++i) EXPECT_EQ(params[i].grad().data_ptr(), before[i]) << i;
}


}  // namespace
}  // namespace tandem::ddp
