#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "engine/error.h"
#include "parallel/comm/runtime.h"
#include "tests/comm/test_values.h"

namespace tandem::comm {
namespace {

using testing::expected_value;
using testing::first_mismatch;
using testing::input_value;
using testing::inputs_of;
using testing::kAllDTypes;
using testing::make_buffer;

TEST(Broadcast, FromTheLastRankInEveryDType) {
  Communicator& world = comm::world();
  const int root = world.size() - 1;  // non-zero whenever there are two ranks or more
  const std::size_t n = 1025;
  for (DType dtype : kAllDTypes) {
    SCOPED_TRACE(dtype_name(dtype));
    auto buffer = make_buffer(
        dtype, n, [&](std::size_t i) { return world.rank() == root ? input_value(root, i) : 0.0; });
    world.broadcast(buffer.data(), n, dtype, root);
    EXPECT_EQ(first_mismatch(dtype, buffer, n, inputs_of(root)), -1);
  }
}

TEST(Broadcast, RootOutsideTheGroupIsRefused) {
  int32_t value = 0;
  EXPECT_THROW(world().broadcast(&value, 1, DType::Int32, world().size()), UsageError);
  EXPECT_THROW(world().broadcast(&value, 1, DType::Int32, -1), UsageError);
}

TEST(Allgather, BlocksInRankOrder) {
  Communicator& world = comm::world();
  const std::size_t per_rank = 37;
  for (DType dtype : {DType::Float32, DType::BFloat16, DType::Int64}) {
    SCOPED_TRACE(dtype_name(dtype));
    auto send = make_buffer(dtype, per_rank, inputs_of(world.rank()));
    std::vector<unsigned char> recv(per_rank * world.size() * dtype_size(dtype));
    world.allgather(send.data(), recv.data(), per_rank, dtype);
    EXPECT_EQ(
        first_mismatch(dtype, recv, per_rank * world.size(),
                       [&](std::size_t i) { return input_value(int(i / per_rank), i % per_rank); }),
        -1);
  }
}

TEST(Allgather, InPlaceWhenTheInputIsThisRanksBlock) {
  Communicator& world = comm::world();
  const std::size_t per_rank = 5;
  auto all = make_buffer(DType::Int32, per_rank * world.size(), [&](std::size_t i) {
    return i / per_rank == std::size_t(world.rank()) ? input_value(world.rank(), i % per_rank)
                                                     : -1.0;
  });
  world.allgather(all.data() + world.rank() * per_rank * 4, all.data(), per_rank, DType::Int32);
  EXPECT_EQ(
      first_mismatch(DType::Int32, all, per_rank * world.size(),
                     [&](std::size_t i) { return input_value(int(i / per_rank), i % per_rank); }),
      -1);
}

TEST(ReduceScatter, EachRankGetsItsBlockReduced) {
  Communicator& world = comm::world();
  const std::size_t per_rank = 1001;
  const std::size_t total = per_rank * world.size();
  struct Case {
    DType dtype;
    ReduceOp op;
  };
  for (Case c : {Case{DType::Float32, ReduceOp::Sum}, Case{DType::BFloat16, ReduceOp::Average},
                 Case{DType::Float16, ReduceOp::Sum}, Case{DType::Int32, ReduceOp::Max},
                 Case{DType::Float64, ReduceOp::Min}}) {
    SCOPED_TRACE(std::string(dtype_name(c.dtype)) + " " + reduce_op_name(c.op));
    auto send = make_buffer(c.dtype, total, inputs_of(world.rank()));
    std::vector<unsigned char> recv(per_rank * dtype_size(c.dtype));
    world.reduce_scatter(send.data(), recv.data(), per_rank, c.dtype, c.op);
    EXPECT_EQ(first_mismatch(c.dtype, recv, per_rank,
                             [&](std::size_t j) {
                               return expected_value(c.op, world.size(),
                                                     world.rank() * per_rank + j);
                             }),
              -1);
  }
}

TEST(Barrier, NobodyLeavesBeforeTheLastArrives) {
  Communicator& world = comm::world();
  const auto delay = std::chrono::milliseconds(300);
  world.barrier();  // everyone starts the clock together
  const auto start = std::chrono::steady_clock::now();
  if (world.rank() == 0) std::this_thread::sleep_for(delay);
  world.barrier();
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, delay - std::chrono::milliseconds(50));
}

}  // namespace
}  // namespace tandem::comm
