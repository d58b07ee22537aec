#include <gtest/gtest.h>

#include <numeric>

#include "engine/error.h"
#include "parallel/comm/runtime.h"

namespace tandem::comm {
namespace {

TEST(Split, WorldRanksOfTheWorldAreTheIdentity) {
  std::vector<int> expected(world().size());
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(world().world_ranks(), expected);
}

TEST(Split, EvenAndOddRanksReduceWithinTheirGroup) {
  Communicator& world = comm::world();
  auto group = world.split(world.rank() % 2, world.rank());
  std::vector<int> members;
  for (int r = world.rank() % 2; r < world.size(); r += 2) members.push_back(r);
  ASSERT_EQ(group->size(), int(members.size()));
  EXPECT_EQ(group->world_ranks(), members);
  EXPECT_EQ(group->rank(), world.rank() / 2);

  int64_t sum = world.rank();
  group->allreduce(&sum, 1, DType::Int64, ReduceOp::Sum);
  EXPECT_EQ(sum, std::accumulate(members.begin(), members.end(), int64_t(0)));

  // The groups work side by side with the world.
  auto pending = group->allreduce_async(&sum, 1, DType::Int64, ReduceOp::Max);
  int32_t everyone = 1;
  world.allreduce(&everyone, 1, DType::Int32, ReduceOp::Sum);
  pending->wait();
  EXPECT_EQ(everyone, world.size());
  EXPECT_EQ(sum, std::accumulate(members.begin(), members.end(), int64_t(0)));
}

TEST(Split, KeyOrdersTheNewRanks) {
  Communicator& world = comm::world();
  auto reversed = world.split(0, -world.rank());
  EXPECT_EQ(reversed->rank(), world.size() - 1 - world.rank());
  auto nested = reversed->split(0, reversed->rank());
  EXPECT_EQ(nested->world_ranks(), reversed->world_ranks());
}

TEST(Split, InheritsTheTimeout) {
  Communicator& world = comm::world();
  auto group = world.split(0, world.rank());
  group->set_timeout(std::chrono::seconds(7));
  auto child = group->split(0, group->rank());
  EXPECT_EQ(child->timeout(), std::chrono::seconds(7));
}

TEST(Split, NegativeColorIsRefused) { EXPECT_THROW(world().split(-1, 0), UsageError); }

}  // namespace
}  // namespace tandem::comm
