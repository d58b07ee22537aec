#include "engine/error.h"
#include "parallel/pipeline/partition/partitioner.h"
#include "tests/common/error_matchers.h"

#include <gtest/gtest.h>

namespace tandem::pipeline {
namespace {

std::vector<LayerWeight> uniform(int n) {
  std::vector<LayerWeight> layers;
  for (int i = 0; i < n; ++i) layers.push_back({"layer " + std::to_string(i), 1.0, 1.0, 10});
  return layers;
}

// Exhaustive reference: every way of cutting n layers into k contiguous stages.
double brute_force_best(const std::vector<double>& cost, int k, int start = 0) {
  const int n = static_cast<int>(cost.size());
  if (k == 1) {
    double s = 0;
    for (int i = start; i < n; ++i) s += cost[i];
    return s;
  }
  double best = 1e300, run = 0;
  for (int end = start + 1; end <= n - (k - 1); ++end) {
    run += cost[end - 1];
    best = std::min(best, std::max(run, brute_force_best(cost, k - 1, end)));
  }
  return best;
}

TEST(Partitioner, UniformLayersSplitEvenly) {
  auto spans = partition_layers(uniform(8), 4, 0.5);
  ASSERT_EQ(spans.size(), 4u);
  for (int s = 0; s < 4; ++s) {
    EXPECT_EQ(spans[s].begin, 2 * s);
    EXPECT_EQ(spans[s].end, 2 * s + 2);
    EXPECT_EQ(spans[s].parameters, 20);
  }
}

TEST(Partitioner, MatchesExhaustiveSearchAndCoversEveryLayer) {
  std::vector<LayerWeight> layers;
  const double compute[] = {0, 5, 5, 5, 5, 5, 5, 0.1, 9};
  const double memory[] = {40, 6, 6, 6, 6, 6, 6, 0.1, 1};
  for (int i = 0; i < 9; ++i) layers.push_back({"l" + std::to_string(i), compute[i], memory[i], 1});
  for (double w : {0.0, 0.2, 0.8, 1.0})
    for (int k = 1; k <= 6; ++k) {
      auto spans = partition_layers(layers, k, w);
      ASSERT_EQ(static_cast<int>(spans.size()), k);
      EXPECT_EQ(spans.front().begin, 0);
      EXPECT_EQ(spans.back().end, 9);
      double worst = 0, tc = 0, tm = 0;
      for (auto& l : layers) tc += l.compute, tm += l.memory;
      std::vector<double> cost;
      for (auto& l : layers) cost.push_back((1 - w) * l.compute / tc + w * l.memory / tm);
      for (size_t s = 0; s < spans.size(); ++s) {
        EXPECT_LT(spans[s].begin, spans[s].end);
        if (s > 0) {
          EXPECT_EQ(spans[s].begin, spans[s - 1].end);
        }
        worst = std::max(worst, spans[s].cost);
      }
      EXPECT_NEAR(worst, brute_force_best(cost, k), 1e-12) << "k=" << k << " w=" << w;
    }
}

TEST(Partitioner, MemoryWeightMovesTheCut) {
  // A heavy-memory embedding: balancing memory isolates it, balancing compute does not.
  std::vector<LayerWeight> layers{
      {"emb", 0, 100, 100}, {"b0", 10, 1, 1}, {"b1", 10, 1, 1}, {"b2", 10, 1, 1}, {"b3", 10, 1, 1}};
  EXPECT_EQ(partition_layers(layers, 2, 1.0)[0].end, 1);
  EXPECT_EQ(partition_layers(layers, 2, 0.0)[0].end, 3);  // 20 + 20 of compute
}

TEST(Partitioner, MoreStagesThanLayersIsRefused) {
  EXPECT_ERROR(partition_layers(uniform(3), 4, 0.8), UsageError, "exceeds the model's 3 layers");
}

}  // namespace
}  // namespace tandem::pipeline
