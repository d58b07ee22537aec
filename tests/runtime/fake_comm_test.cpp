// The fake in-process backend (parallel/comm/fake) that the other runtime
// tests stand on: its collectives are exact in every dtype, split follows
// MPI_Comm_split, point-to-point keeps MPI's order per (source, tag), a wait
// for a missing peer times out with the backends' message, and an injected
// failure or a slow rank shows up as an error or a delay, never as a hang.
#include "engine/error.h"
#include "parallel/comm/runtime.h"
#include "tests/comm/test_values.h"
#include "tests/runtime/support.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <numeric>
#include <thread>

namespace tandem::runtime_tests {
namespace {

using namespace comm;
using comm::testing::expected_value;
using comm::testing::first_mismatch;
using comm::testing::input_value;
using comm::testing::inputs_of;
using comm::testing::kAllDTypes;
using comm::testing::make_buffer;
using comm::testing::reduced;
using Clock = std::chrono::steady_clock;

constexpr ReduceOp kAllOps[] = {ReduceOp::Sum, ReduceOp::Average, ReduceOp::Max, ReduceOp::Min};

class FakeRanks : public ::testing::TestWithParam<int> {};

TEST_P(FakeRanks, AllreduceIsExactForEveryDTypeAndOp) {
  run_job(GetParam(), [](int rank, Communicator& world) {
    for (DType dtype : kAllDTypes)
      for (ReduceOp op : kAllOps) {
        if (op == ReduceOp::Average && is_integer(dtype)) continue;
        for (std::size_t count : {std::size_t(1), std::size_t(1023)}) {
          SCOPED_TRACE(describe("allreduce", count, dtype) + " " + reduce_op_name(op));
          auto buffer = make_buffer(dtype, count, inputs_of(rank));
          world.allreduce(buffer.data(), count, dtype, op);
          EXPECT_EQ(first_mismatch(dtype, buffer, count, reduced(op, world.size())), -1);
        }
      }
  });
}

TEST_P(FakeRanks, BroadcastAllgatherReduceScatterAndBarrier) {
  run_job(GetParam(), [](int rank, Communicator& world) {
    const int n = world.size();
    const int root = n - 1;
    const std::size_t count = 101;
    for (DType dtype : kAllDTypes) {
      SCOPED_TRACE(dtype_name(dtype));
      auto buffer = make_buffer(dtype, count, [&](std::size_t i) { return rank == root ? input_value(root, i) : 0.0; });
      world.broadcast(buffer.data(), count, dtype, root);
      EXPECT_EQ(first_mismatch(dtype, buffer, count, inputs_of(root)), -1);

      auto send = make_buffer(dtype, count, inputs_of(rank));
      std::vector<unsigned char> all(count * n * dtype_size(dtype));
      world.allgather(send.data(), all.data(), count, dtype);
      EXPECT_EQ(first_mismatch(dtype, all, count * n,
                               [&](std::size_t i) { return input_value(int(i / count), i % count); }),
                -1);

      const ReduceOp op = is_integer(dtype) ? ReduceOp::Max : ReduceOp::Average;
      auto whole = make_buffer(dtype, count * n, inputs_of(rank));
      std::vector<unsigned char> mine(count * dtype_size(dtype));
      world.reduce_scatter(whole.data(), mine.data(), count, dtype, op);
      EXPECT_EQ(first_mismatch(dtype, mine, count,
                               [&](std::size_t j) { return expected_value(op, n, rank * count + j); }),
                -1);
    }
    // In place: this rank's input already sits in its block of the output.
    std::vector<int32_t> blocks(3 * n, -1);
    for (int i = 0; i < 3; ++i) blocks[rank * 3 + i] = 10 * rank + i;
    world.allgather(blocks.data() + rank * 3, blocks.data(), 3, DType::Int32);
    for (int i = 0; i < 3 * n; ++i) EXPECT_EQ(blocks[i], 10 * (i / 3) + i % 3);
    world.barrier();
  });
}

TEST_P(FakeRanks, AsyncAllreducesInFlightAroundASynchronousOne) {
  run_job(GetParam(), [](int rank, Communicator& world) {
    const std::size_t n = 513;
    auto a = make_buffer(DType::Float32, n, inputs_of(rank));
    auto b = make_buffer(DType::BFloat16, n, inputs_of(rank));
    auto wa = world.allreduce_async(a.data(), n, DType::Float32, ReduceOp::Sum);
    auto wb = world.allreduce_async(b.data(), n, DType::BFloat16, ReduceOp::Average);
    int64_t ranks = 1;
    world.allreduce(&ranks, 1, DType::Int64, ReduceOp::Sum);
    wb->wait();
    wa->wait();
    EXPECT_TRUE(wa->done());
    EXPECT_EQ(ranks, world.size());
    EXPECT_EQ(first_mismatch(DType::Float32, a, n, reduced(ReduceOp::Sum, world.size())), -1);
    EXPECT_EQ(first_mismatch(DType::BFloat16, b, n, reduced(ReduceOp::Average, world.size())), -1);
  });
}

TEST_P(FakeRanks, SplitFollowsMpiCommSplit) {
  run_job(GetParam(), [](int rank, Communicator& world) {
    const int n = world.size();
    std::vector<int> all(n);
    std::iota(all.begin(), all.end(), 0);
    EXPECT_EQ(world.world_ranks(), all);
    world.set_timeout(std::chrono::milliseconds(7000));
    // Parity groups, ordered by descending world rank (the key), then by rank.
    auto group = world.split(rank % 2, -rank);
    std::vector<int> members;
    for (int r = n - 1; r >= 0; --r)
      if (r % 2 == rank % 2) members.push_back(r);
    EXPECT_EQ(group->world_ranks(), members);
    EXPECT_EQ(group->rank(), int(std::find(members.begin(), members.end(), rank) - members.begin()));
    EXPECT_EQ(group->timeout(), std::chrono::milliseconds(7000));
    int64_t sum = rank;
    group->allreduce(&sum, 1, DType::Int64, ReduceOp::Sum);
    EXPECT_EQ(sum, std::accumulate(members.begin(), members.end(), int64_t(0)));
    // Equal keys keep the parent's order; a split of a split names world ranks.
    auto everyone = group->split(0, 0);
    EXPECT_EQ(everyone->world_ranks(), members);
    EXPECT_THROW(world.split(-1, 0), UsageError);
  });
}

INSTANTIATE_TEST_SUITE_P(Sizes, FakeRanks, ::testing::Values(1, 2, 4),
                         [](const auto& info) { return std::to_string(info.param) + "_ranks"; });

TEST(FakePointToPoint, MessagesKeepTheirOrderPerSourceAndTag) {
  run_job(3, [](int rank, Communicator& world) {
    if (rank == 0) {
      // Five messages to rank 2 on two tags, interleaved; all posted at once.
      std::vector<int32_t> values{50, 60, 51, 61, 52};
      std::vector<std::shared_ptr<Work>> sent;
      for (std::size_t i = 0; i < values.size(); ++i)
        sent.push_back(world.send_async(&values[i], 1, DType::Int32, 2, values[i] / 10));
      for (auto& w : sent) w->wait();
    } else if (rank == 1) {
      int32_t value = 70;
      world.send_async(&value, 1, DType::Int32, 2, 5)->wait();
    } else {
      // Tag 6 first, then tag 5: within a tag, in the order sent; another
      // source on the same tag is a queue of its own.
      std::vector<int32_t> got(6, 0);
      world.recv_async(&got[0], 1, DType::Int32, 0, 6)->wait();
      world.recv_async(&got[1], 1, DType::Int32, 0, 6)->wait();
      world.recv_async(&got[2], 1, DType::Int32, 1, 5)->wait();
      for (int i = 3; i < 6; ++i) world.recv_async(&got[i], 1, DType::Int32, 0, 5)->wait();
      EXPECT_EQ(got, (std::vector<int32_t>{60, 61, 70, 50, 51, 52}));
    }
  });
}

TEST(FakePointToPoint, BatchExchangeWithBothNeighboursAndRendezvousSends) {
  run_job(4, [](int rank, Communicator& world) {
    const int n = world.size(), next = (rank + 1) % n, prev = (rank + n - 1) % n;
    const std::size_t count = 1000;
    auto mine = make_buffer(DType::BFloat16, count, inputs_of(rank));
    std::vector<unsigned char> from_prev(mine.size()), from_next(mine.size());
    world
        .batch_p2p_async({{P2POp::Kind::Send, mine.data(), count, DType::BFloat16, next, 0},
                          {P2POp::Kind::Send, mine.data(), count, DType::BFloat16, prev, 1},
                          {P2POp::Kind::Recv, from_prev.data(), count, DType::BFloat16, prev, 0},
                          {P2POp::Kind::Recv, from_next.data(), count, DType::BFloat16, next, 1}})
        ->wait();
    EXPECT_EQ(first_mismatch(DType::BFloat16, from_prev, count, inputs_of(prev)), -1);
    EXPECT_EQ(first_mismatch(DType::BFloat16, from_next, count, inputs_of(next)), -1);

    // A send is done only once its receive took the data.
    int32_t value = 42, got = 0;
    if (rank == 0) {
      auto sent = world.send_async(&value, 1, DType::Int32, 1, 9);
      EXPECT_FALSE(sent->done());
      world.barrier();
      world.barrier();  // rank 1 received between the two
      EXPECT_TRUE(sent->done());
      sent->wait();
    } else {
      world.barrier();
      if (rank == 1) world.recv_async(&got, 1, DType::Int32, 0, 9)->wait();
      world.barrier();
      if (rank == 1) {
        EXPECT_EQ(got, 42);
      }
    }
  });
}

TEST(FakePointToPoint, BadPeerTagOrFitIsAnError) {
  run_job(2, [](int rank, Communicator& world) {
    int32_t value = 0;
    EXPECT_THROW(world.send_async(&value, 1, DType::Int32, 2, 0), UsageError);
    EXPECT_THROW(world.recv_async(&value, 1, DType::Int32, 0, 40000), UsageError);
    // Four elements do not fit a one-element receive: both sides fail.
    std::vector<int32_t> four(4, 1);
    auto w = rank == 0 ? world.send_async(four.data(), 4, DType::Int32, 1, 0)
                       : world.recv_async(&value, 1, DType::Int32, 0, 0);
    EXPECT_THROW(w->wait(), RuntimeFailure);
  });
}

// As tests/comm/p2p_test.cpp's WaitForAMissingPeerTimesOut over MPI: the same
// message, and the receive stays posted, so a later wait completes.
TEST(FakeTimeout, AMissingPeerTimesOutWithTheBackendsMessage) {
  run_job(2, [](int rank, Communicator& world) {
    int32_t value = -1;
    std::shared_ptr<Work> received;
    if (rank == 0) {
      world.set_timeout(std::chrono::milliseconds(200));
      received = world.recv_async(&value, 1, DType::Int32, 1, 77);
      const auto start = Clock::now();
      std::string message;
      try {
        received->wait();
      } catch (const RuntimeFailure& e) {
        message = e.what();
      }
      const auto waited = Clock::now() - start;
      EXPECT_GE(waited, std::chrono::milliseconds(190));
      EXPECT_LT(waited, std::chrono::seconds(5));
      EXPECT_EQ(message, process_label() +
                             ": recv of 1 int32 from rank 1 (tag 77) timed out after 0.2 s waiting for peers; "
                             "a rank may have died or diverged");
      EXPECT_FALSE(received->done());
      world.set_timeout(kJobTimeout);
    }
    world.barrier();
    const int32_t late = 1234;
    if (rank == 1) world.send_async(&late, 1, DType::Int32, 0, 77)->wait();
    if (rank == 0) {
      received->wait();
      EXPECT_EQ(value, late);
    }
  });
}

TEST(FakeFaults, DisagreeingCollectivesFailEveryRank) {
  std::atomic<int> failed{0};
  run_job(3, [&](int rank, Communicator& world) {
    std::vector<float> data(4, 1.0f);
    try {
      world.allreduce(data.data(), rank == 2 ? 3 : 4, DType::Float32, ReduceOp::Sum);
    } catch (const RuntimeFailure& e) {
      EXPECT_NE(std::string(e.what()).find("ranks disagree"), std::string::npos) << e.what();
      ++failed;
    }
  });
  EXPECT_EQ(failed, 3);
}

// Rank 1's third operation fails. Rank 1 throws; run_ranks aborts the job,
// so ranks 0 and 2, waiting in a collective rank 1 never joins, throw too
// (long before the timeout), and run_ranks rethrows rank 1's failure.
TEST(FakeFaults, AnInjectedFailureEndsTheJobInsteadOfHangingIt) {
  Hub hub(3);
  hub.set_timeout(std::chrono::seconds(60));
  hub.fail_operation(1, 3, "simulated NIC failure");
  std::mutex mu;
  std::vector<std::string> others;
  const auto start = Clock::now();
  try {
    run_ranks(hub, [&](int rank, Communicator& world) {
      try {
        for (int i = 0; i < 5; ++i) {
          double x = rank;
          world.allreduce(&x, 1, DType::Float64, ReduceOp::Sum);
          EXPECT_EQ(x, 3.0);
        }
      } catch (const RuntimeFailure& e) {
        if (rank != 1) {
          std::lock_guard<std::mutex> lock(mu);
          others.push_back(e.what());
        }
        throw;
      }
    });
    ADD_FAILURE() << "no error";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("allreduce of 1 float64 failed: simulated NIC failure (fake rank 1, operation 3)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  EXPECT_TRUE(hub.aborted());
  EXPECT_EQ(hub.operations_started(1), 3);
  ASSERT_EQ(others.size(), 2u);
  for (const auto& m : others) EXPECT_NE(m.find("because fake rank 1 failed"), std::string::npos) << m;
}

TEST(FakeFaults, ASlowRankHoldsTheOthersAtTheBarrier) {
  Hub hub(3);
  hub.set_timeout(kJobTimeout);
  const auto delay = std::chrono::milliseconds(150);
  hub.delay_operations(0, delay);
  const auto start = Clock::now();
  run_ranks(hub, [&](int rank, Communicator& world) {
    world.barrier();  // rank 0 arrives `delay` after the start at the earliest
    EXPECT_GE(Clock::now() - start, delay) << "rank " << rank;
    world.barrier();
    EXPECT_GE(Clock::now() - start, 2 * delay) << "rank " << rank;
  });
}

}  // namespace
}  // namespace tandem::runtime_tests
