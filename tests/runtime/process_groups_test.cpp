// Named process groups (parallel/world/process_groups.h) on fake ranks: for
// each layout, every rank's pipeline, data-parallel and tied-embedding groups
// hold exactly the world ranks the layout lists, in the listed order, and
// each group reduces over its own members only.
#include "engine/error.h"
#include "parallel/world/process_groups.h"
#include "tests/common/error_matchers.h"
#include "tests/runtime/support.h"

#include <gtest/gtest.h>

namespace tandem::runtime_tests {
namespace {

using parallel::make_layout;
using parallel::parse_placement;

struct LayoutCase {
  const char* name;
  int world, pp_size, processes_per_host;
  const char* placement;
};

void PrintTo(const LayoutCase& c, std::ostream* os) { *os << c.name; }

// Σ of the members' world ranks, reduced over `group`.
int sum_of_world_ranks(Communicator& group, int my_world_rank) {
  int value = my_world_rank;
  group.allreduce(&value, 1, comm::DType::Int32, comm::ReduceOp::Sum);
  return value;
}

int sum(const std::vector<int>& ranks) {
  int s = 0;
  for (int r : ranks) s += r;
  return s;
}

class NamedGroups : public ::testing::TestWithParam<LayoutCase> {};

TEST_P(NamedGroups, HoldTheRanksTheLayoutLists) {
  const LayoutCase& c = GetParam();
  const auto layout = make_layout(c.world, c.pp_size, parse_placement(c.placement), c.processes_per_host);
  run_job(c.world, [&](int rank, Communicator& world) {
    const parallel::ProcessGroups groups = parallel::make_process_groups(world, layout);
    const RankCoordinates& me = groups.me;
    EXPECT_EQ(me, layout.ranks[rank]);
    const std::vector<int> pipeline = layout.pipeline_group(me.dp_rank);
    const std::vector<int> data = layout.dp_group(me.pp_rank);
    const bool end_stage = me.pp_rank == 0 || me.pp_rank == me.pp_size - 1;
    const std::vector<int> tied = !end_stage || me.pp_size == 1
                                      ? std::vector<int>{rank}
                                      : std::vector<int>{pipeline.front(), pipeline.back()};
    EXPECT_EQ(groups.pipeline->world_ranks(), pipeline);
    EXPECT_EQ(groups.pipeline->rank(), me.pp_rank);
    EXPECT_EQ(groups.data->world_ranks(), data);
    EXPECT_EQ(groups.data->rank(), me.dp_rank);
    EXPECT_EQ(groups.tied_embedding->world_ranks(), tied);
    // Each group's traffic stays among its members.
    EXPECT_EQ(sum_of_world_ranks(*groups.pipeline, rank), sum(pipeline));
    EXPECT_EQ(sum_of_world_ranks(*groups.data, rank), sum(data));
    EXPECT_EQ(sum_of_world_ranks(*groups.tied_embedding, rank), sum(tied));
  });
}

INSTANTIATE_TEST_SUITE_P(Layouts, NamedGroups,
                         ::testing::Values(LayoutCase{"one_process", 1, 1, 1, "cluster"},
                                           LayoutCase{"dp4", 4, 1, 4, "cluster"},
                                           LayoutCase{"p4", 4, 4, 4, "cluster"},
                                           LayoutCase{"p2_dp2_cluster", 4, 2, 4, "cluster"},
                                           LayoutCase{"p2_dp2_spread", 4, 2, 2, "spread"},
                                           LayoutCase{"p4_dp2_spread", 8, 4, 4, "spread"},
                                           LayoutCase{"p3_dp2_letters", 6, 3, 3, "PD"}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(NamedGroups, ARankNoGroupHoldsIsRefusedByName) {
  EXPECT_ERROR(run_job(2, [](int, Communicator& world) { parallel::join_group(world, {{5, 6}}); }), RuntimeFailure,
               "is in none of the 1 groups");
}

TEST(NamedGroups, ALayoutOfAnotherSizeIsRefused) {
  const auto layout = make_layout(4, 2, parse_placement("cluster"), 4);
  EXPECT_ERROR(run_job(2, [&](int, Communicator& world) { parallel::make_process_groups(world, layout); }),
               RuntimeFailure, "a layout of 4 ranks over a group of 2");
}

}  // namespace
}  // namespace tandem::runtime_tests
