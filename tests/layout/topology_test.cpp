// ParallelLayout against the tables SMP documents (docs/sagemaker-contract.md §1.3)
// and against a naive mixed-radix enumeration over many topologies.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/error.h"
#include "parallel/topology/group_ranks.h"
#include "parallel/topology/layout.h"
#include "parallel/topology/layout_report.h"
#include "parallel/topology/placement.h"
#include "tests/common/error_matchers.h"

namespace tandem::parallel {
namespace {

using Groups = std::vector<std::vector<int>>;


Groups pipeline_groups(const ParallelLayout& layout) { return pipeline_group_ranks(layout); }
Groups dp_groups(const ParallelLayout& layout) { return data_parallel_group_ranks(layout); }

TEST(Placement, NamedStrategiesAndLetterPermutations) {
  EXPECT_EQ(parse_placement("cluster").axes, "DP");
  EXPECT_EQ(parse_placement("spread").axes, "PD");
  EXPECT_EQ(parse_placement("DPT").axes, "DP");  // the contract's cluster
  EXPECT_EQ(parse_placement("TPD").axes, "PD");  // the contract's spread
  EXPECT_EQ(parse_placement("DTP").axes, "DP");
  EXPECT_EQ(parse_placement("PDT").axes, "PD");
  EXPECT_EQ(parse_placement("DP").axes, "DP");
  EXPECT_EQ(parse_placement("PD").axes, "PD");
}

TEST(Placement, RejectsAnythingElseNamingTheAcceptedValues) {
  const std::string accepted =
      "is not \"cluster\", \"spread\" or a permutation of the letters D, P, T (e.g. \"DPT\", \"TPD\")";
  for (const std::string bad : {"", "Cluster", "DDP", "DPX", "DPTT", "D", "dpt"}) {
    EXPECT_EQ(error_message_of<UsageError>([&] { parse_placement(bad); }), "placement_strategy=\"" + bad + "\" " + accepted);
  }
}

// Worked example A: 1 node, 8 processes, partitions=2.
TEST(Layout, EightRanksTwoPartitionsSpread) {
  const ParallelLayout layout = make_layout(8, 2, parse_placement("spread"), 8);
  EXPECT_EQ(layout.dp_size, 4);
  EXPECT_EQ(pipeline_groups(layout), (Groups{{0, 4}, {1, 5}, {2, 6}, {3, 7}}));
  EXPECT_EQ(dp_groups(layout), (Groups{{0, 1, 2, 3}, {4, 5, 6, 7}}));
  EXPECT_EQ(layout.ranks[6].dp_rank, 2);
  for (int rank = 0; rank < 8; ++rank) EXPECT_EQ(layout.ranks[rank].pp_rank, rank < 4 ? 0 : 1) << rank;
}

TEST(Layout, EightRanksTwoPartitionsCluster) {
  const ParallelLayout layout = make_layout(8, 2, parse_placement("cluster"), 8);
  EXPECT_EQ(pipeline_groups(layout), (Groups{{0, 1}, {2, 3}, {4, 5}, {6, 7}}));
  EXPECT_EQ(dp_groups(layout), (Groups{{0, 2, 4, 6}, {1, 3, 5, 7}}));
}

// The v1.3 example: 4-way model parallel x 2-way data parallel.
TEST(Layout, FourWayPipelineTwoWayData) {
  EXPECT_EQ(pipeline_groups(make_layout(8, 4, parse_placement("spread"), 8)), (Groups{{0, 2, 4, 6}, {1, 3, 5, 7}}));
  EXPECT_EQ(pipeline_groups(make_layout(8, 4, parse_placement("cluster"), 8)), (Groups{{0, 1, 2, 3}, {4, 5, 6, 7}}));
}

// Worked example B: 2 hosts x 8 processes, pipeline_parallel_degree=4.
struct ExampleBRow {
  int rank, host, local, cluster_pp, cluster_dp, spread_pp, spread_dp;
};

// clang-format off
const ExampleBRow kExampleB[] = {
    // rank, host, local, cluster pp/dp, spread pp/dp
    { 0, 0, 0,  0, 0,  0, 0},
    { 1, 0, 1,  1, 0,  0, 1},
    { 2, 0, 2,  2, 0,  0, 2},
    { 3, 0, 3,  3, 0,  0, 3},
    { 4, 0, 4,  0, 1,  1, 0},
    { 5, 0, 5,  1, 1,  1, 1},
    { 6, 0, 6,  2, 1,  1, 2},
    { 7, 0, 7,  3, 1,  1, 3},
    { 8, 1, 0,  0, 2,  2, 0},
    { 9, 1, 1,  1, 2,  2, 1},
    {10, 1, 2,  2, 2,  2, 2},
    {11, 1, 3,  3, 2,  2, 3},
    {12, 1, 4,  0, 3,  3, 0},
    {13, 1, 5,  1, 3,  3, 1},
    {14, 1, 6,  2, 3,  3, 2},
    {15, 1, 7,  3, 3,  3, 3},
};
// clang-format on

TEST(Layout, SixteenRanksTwoHostsFourPartitions) {
  const ParallelLayout cluster = make_layout(16, 4, parse_placement("cluster"), 8);
  const ParallelLayout spread = make_layout(16, 4, parse_placement("spread"), 8);
  ASSERT_EQ(cluster.host_count(), 2);
  for (const ExampleBRow& row : kExampleB) {
    EXPECT_EQ(cluster.ranks[row.rank],
              (RankCoordinates{row.rank, row.host, row.local, row.cluster_pp, row.cluster_dp, 4, 4}));
    EXPECT_EQ(spread.ranks[row.rank], (RankCoordinates{row.rank, row.host, row.local, row.spread_pp, row.spread_dp, 4, 4}));
  }
  const Groups consecutive = {{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 10, 11}, {12, 13, 14, 15}};
  const Groups strided = {{0, 4, 8, 12}, {1, 5, 9, 13}, {2, 6, 10, 14}, {3, 7, 11, 15}};
  EXPECT_EQ(pipeline_groups(cluster), consecutive);  // every pipeline inside one host
  EXPECT_EQ(dp_groups(cluster), strided);            // every all-reduce crosses hosts
  EXPECT_EQ(pipeline_groups(spread), strided);
  EXPECT_EQ(dp_groups(spread), consecutive);  // every all-reduce inside one host
}

// The contract's formula, enumerated directly: for placement letters L1 L2 L3,
// rank = ((i_L1 * s_L2) + i_L2) * s_L3 + i_L3, with s_T = 1.
std::vector<RankCoordinates> reference_ranks(int world, int pp, const std::string& letters, int pph) {
  std::vector<RankCoordinates> ranks(world);
  auto size = [&](char axis) { return axis == 'P' ? pp : axis == 'D' ? world / pp : 1; };
  int index[3] = {0, 0, 0};
  for (index[0] = 0; index[0] < size(letters[0]); ++index[0]) {
    for (index[1] = 0; index[1] < size(letters[1]); ++index[1]) {
      for (index[2] = 0; index[2] < size(letters[2]); ++index[2]) {
        const int rank = ((index[0] * size(letters[1])) + index[1]) * size(letters[2]) + index[2];
        RankCoordinates& r = ranks[rank];
        r = {rank, rank / pph, rank % pph, 0, 0, pp, world / pp};
        for (int i = 0; i < 3; ++i) {
          if (letters[i] == 'P') r.pp_rank = index[i];
          if (letters[i] == 'D') r.dp_rank = index[i];
        }
      }
    }
  }
  return ranks;
}

TEST(Layout, MatchesNaiveMixedRadixReference) {
  const std::vector<std::pair<std::string, std::string>> placements = {
      {"cluster", "DPT"}, {"spread", "TPD"}, {"DPT", "DPT"}, {"DTP", "DTP"}, {"TDP", "TDP"},
      {"PDT", "PDT"},     {"PTD", "PTD"},    {"TPD", "TPD"}, {"DP", "DPT"},  {"PD", "PDT"}};
  int checked = 0;
  for (int world = 1; world <= 24; ++world) {
    for (int pp = 1; pp <= world; ++pp) {
      if (world % pp) continue;
      for (int pph : {1, 2, 4, 8, world}) {
        if (world % pph) continue;
        for (const auto& [strategy, letters] : placements) {
          const ParallelLayout layout = make_layout(world, pp, parse_placement(strategy), pph);
          const auto reference = reference_ranks(world, pp, letters, pph);
          ASSERT_EQ(layout.ranks, reference) << "world " << world << " pp " << pp << " " << strategy;
          for (int dp = 0; dp < layout.dp_size; ++dp) {
            std::vector<int> group(pp);
            for (const RankCoordinates& r : reference) {
              if (r.dp_rank == dp) group[r.pp_rank] = r.rank;
            }
            ASSERT_EQ(layout.pipeline_group(dp), group);
          }
          for (int stage = 0; stage < pp; ++stage) {
            std::vector<int> group(layout.dp_size);
            for (const RankCoordinates& r : reference) {
              if (r.pp_rank == stage) group[r.dp_rank] = r.rank;
            }
            ASSERT_EQ(layout.dp_group(stage), group);
          }
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 500);
}

// Every kind of group partitions the world: each rank in exactly one group.
void expect_partition(const Groups& groups, int world) {
  std::vector<int> seen(world, 0);
  for (const auto& group : groups)
    for (int rank : group) ++seen.at(rank);
  EXPECT_EQ(seen, std::vector<int>(world, 1));
}

TEST(GroupRanks, TiedEmbeddingGroupsPairTheEndStagesOfEachReplica) {
  const ParallelLayout spread = make_layout(8, 4, parse_placement("spread"), 8);
  // spread: replica d holds ranks d, d+2, d+4, d+6.
  EXPECT_EQ(tied_embedding_group_ranks(spread), (Groups{{0, 6}, {2}, {4}, {1, 7}, {3}, {5}}));
  const ParallelLayout cluster = make_layout(8, 4, parse_placement("cluster"), 8);
  EXPECT_EQ(tied_embedding_group_ranks(cluster), (Groups{{0, 3}, {1}, {2}, {4, 7}, {5}, {6}}));
  // One stage: the head and the embedding are on the same rank, which is alone.
  EXPECT_EQ(tied_embedding_group_ranks(make_layout(3, 1, parse_placement("cluster"), 3)), (Groups{{0}, {1}, {2}}));
  for (const ParallelLayout& layout : {spread, cluster, make_layout(12, 3, parse_placement("PD"), 4)}) {
    expect_partition(pipeline_group_ranks(layout), layout.world_size);
    expect_partition(data_parallel_group_ranks(layout), layout.world_size);
    expect_partition(tied_embedding_group_ranks(layout), layout.world_size);
  }
}

TEST(Layout, RejectsSizesThatDoNotDivide) {
  const Placement cluster = parse_placement("cluster");
  EXPECT_EQ(error_message_of<UsageError>([&] { make_layout(8, 3, cluster, 8); }), "partitions=3 does not divide world size 8");
  EXPECT_EQ(error_message_of<UsageError>([&] { make_layout(8, 16, cluster, 8); }), "partitions=16 does not divide world size 8");
  EXPECT_EQ(error_message_of<UsageError>([&] { make_layout(8, 0, cluster, 8); }), "partitions=0 must be >= 1");
  EXPECT_EQ(error_message_of<UsageError>([&] { make_layout(0, 1, cluster, 1); }), "world size 0 must be >= 1");
  EXPECT_EQ(error_message_of<UsageError>([&] { make_layout(8, 2, cluster, 3); }),
            "processes_per_host=3 does not divide world size 8");
  EXPECT_EQ(error_message_of<UsageError>([&] { make_layout(8, 2, cluster, 0); }),
            "processes_per_host=0 does not divide world size 8");
}

TEST(Layout, GroupIndexOutOfRangeThrows) {
  const ParallelLayout layout = make_layout(8, 2, parse_placement("cluster"), 8);
  EXPECT_THROW(layout.pipeline_group(4), std::out_of_range);
  EXPECT_THROW(layout.dp_group(2), std::out_of_range);
  EXPECT_THROW(layout.rank_of(-1, 0), std::out_of_range);
}

TEST(LayoutReport, JsonRankTable) {
  const nlohmann::json table = make_layout(16, 4, parse_placement("spread"), 8);
  ASSERT_EQ(table.size(), 16u);
  EXPECT_EQ(table[6],
            (nlohmann::json{{"rank", 6}, {"host", "algo-1"}, {"local_rank", 6}, {"pp_rank", 1}, {"dp_rank", 2}}));
  EXPECT_EQ(table[9],
            (nlohmann::json{{"rank", 9}, {"host", "algo-2"}, {"local_rank", 1}, {"pp_rank", 2}, {"dp_rank", 1}}));
}

TEST(LayoutReport, TextTable) {
  EXPECT_EQ(render_rank_table(make_layout(4, 2, parse_placement("spread"), 2)),
            "rank  host      local_rank  pp_rank  dp_rank\n"
            "   0  algo-1             0        0        0\n"
            "   1  algo-1             1        0        1\n"
            "   2  algo-2             0        1        0\n"
            "   3  algo-2             1        1        1\n"
            "pipeline groups (one model replica each, by pp_rank): [0,2] [1,3]\n"
            "dp groups (one stage each, by dp_rank): [0,1] [2,3]\n");
}

}  // namespace
}  // namespace tandem::parallel
