// The data-parallel GradientReducer at 2 and 4 fake ranks (threads of this
// process): the initial broadcast, averaging, no_sync accumulation, unused
// parameters, the cross-rank layout check and bucket-view gradients — what
// tests/comm/gradient_reducer_test.cpp checks under mpirun — plus a slow rank
// and a failed bucket reduction, which only the fake backend can stage.
#include "engine/error.h"
#include "parallel/ddp/gradient_reducer.h"
#include "tests/runtime/support.h"

#include <gtest/gtest.h>

namespace tandem::runtime_tests {
namespace {

using ddp::GradientReducer;
using ddp::ReducerOptions;

// Small buckets (64 B first, then 256 B), so three parameters span several.
const ReducerOptions kSmallBuckets{64, 256};

std::vector<torch::Tensor> make_params(uint64_t seed) {
  auto gen = generator(seed);
  return {torch::randn({7, 3}, gen).requires_grad_(true), torch::randn({5}, gen).requires_grad_(true),
          torch::randn({300}, gen).requires_grad_(true)};
}

// loss = Σ_i c · sum(p_i²)/2, so grad p_i = c · p_i.
void backward_with_scale(const std::vector<torch::Tensor>& params, double c) {
  auto loss = torch::zeros({});
  for (const auto& p : params) loss = loss + p.pow(2).sum() * (c / 2);
  loss.backward();
}

class Reducer : public ::testing::TestWithParam<int> {};

TEST_P(Reducer, BroadcastMakesDifferentlySeededRanksIdentical) {
  run_job(GetParam(), [](int rank, Communicator& world) {
    auto params = make_params(100 + rank);
    GradientReducer reducer(params, world, kSmallBuckets);
    auto expected = make_params(100);  // rank 0's seed
    for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::equal(params[i], expected[i])) << i;
  });
}

TEST_P(Reducer, AveragesGradientsOverRanks) {
  run_job(GetParam(), [](int rank, Communicator& world) {
    auto params = make_params(7);
    GradientReducer reducer(params, world, kSmallBuckets);
    EXPECT_GE(reducer.layout().buckets.size(), 2u);
    for (int step = 0; step < 2; ++step) {  // the reducer is reused step after step
      for (auto& p : params) p.mutable_grad().zero_();
      reducer.before_backward(true);
      backward_with_scale(params, rank + 1);
      reducer.finish();
      const double mean_c = (world.size() + 1) / 2.0;
      for (const auto& p : params) EXPECT_TRUE(torch::allclose(p.grad(), p.detach() * mean_c, 1e-6, 1e-6));
    }
  });
}

TEST_P(Reducer, NoSyncMicroStepsAccumulateThenReduceOnce) {
  run_job(GetParam(), [](int rank, Communicator& world) {
    auto params = make_params(9);
    GradientReducer reducer(params, world, kSmallBuckets);
    reducer.before_backward(false);
    backward_with_scale(params, 1.0);  // accumulates locally only
    reducer.before_backward(true);
    backward_with_scale(params, rank + 1);
    reducer.finish();
    // grad = 1·p + c_r·p, averaged over ranks.
    const double expected = 1.0 + (world.size() + 1) / 2.0;
    for (const auto& p : params) EXPECT_TRUE(torch::allclose(p.grad(), p.detach() * expected, 1e-6, 1e-6));
  });
}

TEST_P(Reducer, UnusedParameterStillReducedInOrder) {
  run_job(GetParam(), [](int rank, Communicator& world) {
    auto params = make_params(11);
    GradientReducer reducer(params, world, kSmallBuckets);
    reducer.before_backward(true);
    backward_with_scale({params[0], params[2]}, rank + 1);  // params[1] gets no gradient
    reducer.finish();
    EXPECT_TRUE(params[1].grad().defined());
    EXPECT_TRUE(torch::equal(params[1].grad(), torch::zeros_like(params[1])));
    const double mean_c = (world.size() + 1) / 2.0;
    EXPECT_TRUE(torch::allclose(params[2].grad(), params[2].detach() * mean_c, 1e-6, 1e-6));
  });
}

TEST_P(Reducer, LayoutIsCheckedAcrossRanks) {
  // Rank 1 holds a differently shaped model: every rank gets the same error, nobody hangs.
  run_job(GetParam(), [](int rank, Communicator& world) {
    std::vector<torch::Tensor> params = make_params(1);
    if (rank == 1) params.push_back(torch::zeros({4}, torch::requires_grad()));
    try {
      GradientReducer reducer(params, world, kSmallBuckets);
      ADD_FAILURE() << "no error on rank " << rank;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("data-parallel bucket layout differs"), std::string::npos) << e.what();
    }
  });
}

// DDP's gradient_as_bucket_view: gradients live in the buckets (no second
// copy), and stay there through backward and the reduction.
TEST_P(Reducer, GradientsAreViewsIntoTheBuckets) {
  run_job(GetParam(), [](int rank, Communicator& world) {
    auto params = make_params(13);
    GradientReducer reducer(params, world, kSmallBuckets);
    std::vector<const void*> before;
    for (const auto& p : params) before.push_back(p.grad().data_ptr());
    for (const auto& bucket : reducer.layout().buckets)
      for (const auto& slot : bucket.slots)
        EXPECT_TRUE(params[slot.parameter].grad().is_alias_of(params[bucket.slots.front().parameter].grad()))
            << "parameter " << slot.parameter;
    reducer.before_backward(true);
    backward_with_scale(params, rank + 1);
    reducer.finish();
    for (size_t i = 0; i < params.size(); ++i) EXPECT_EQ(params[i].grad().data_ptr(), before[i]) << i;
  });
}

INSTANTIATE_TEST_SUITE_P(Ranks, Reducer, ::testing::Values(2, 4),
                         [](const auto& info) { return std::to_string(info.param) + "_ranks"; });

// Rank 0 starts every operation late: the others' buckets wait for it, and
// the averages are the same.
TEST(ReducerFaults, ASlowRankDelaysButDoesNotChangeTheAverage) {
  Hub hub(2);
  hub.set_timeout(kJobTimeout);
  hub.delay_operations(0, std::chrono::milliseconds(20));
  run_ranks(hub, [](int rank, Communicator& world) {
    auto params = make_params(7);
    GradientReducer reducer(params, world, kSmallBuckets);
    reducer.before_backward(true);
    backward_with_scale(params, rank + 1);
    reducer.finish();
    for (const auto& p : params) EXPECT_TRUE(torch::allclose(p.grad(), p.detach() * 1.5, 1e-6, 1e-6));
  });
}

// Rank 1's first bucket allreduce fails: finish() on rank 1 throws it, and
// rank 0, whose reduction rank 1 never joins, throws instead of waiting.
TEST(ReducerFaults, AFailedBucketReductionSurfacesFromFinishOnEveryRank) {
  Hub hub(2);
  hub.set_timeout(kJobTimeout);
  const auto start = std::chrono::steady_clock::now();
  try {
    run_ranks(hub, [&](int rank, Communicator& world) {
      auto params = make_params(7);
      GradientReducer reducer(params, world, kSmallBuckets);
      // Only rank 1's thread counts rank 1's operations: its next one fails.
      if (rank == 1) hub.fail_operation(1, hub.operations_started(1) + 1, "bucket lost");
      reducer.before_backward(true);
      backward_with_scale(params, rank + 1);
      reducer.finish();
      ADD_FAILURE() << "finish() returned on rank " << rank;
    });
    ADD_FAILURE() << "no error";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("bucket lost"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace tandem::runtime_tests
