#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "engine/error.h"
#include "parallel/comm/runtime.h"
#include "tests/comm/test_values.h"

namespace tandem::comm {
namespace {

using testing::first_mismatch;
using testing::inputs_of;
using testing::kAllDTypes;
using testing::make_buffer;
using testing::reduced;

constexpr ReduceOp kAllOps[] = {ReduceOp::Sum, ReduceOp::Average, ReduceOp::Max, ReduceOp::Min};
constexpr std::size_t kSizes[] = {1, 7, 1023, (std::size_t(1) << 20) + 3};

TEST(Allreduce, ExactForEveryDTypeOpAndSize) {
  Communicator& world = comm::world();
  for (DType dtype : kAllDTypes) {
    for (ReduceOp op : kAllOps) {
      if (op == ReduceOp::Average && is_integer(dtype)) continue;
      for (std::size_t count : kSizes) {
        SCOPED_TRACE(describe("allreduce", count, dtype) + " " + reduce_op_name(op));
        auto buffer = make_buffer(dtype, count, inputs_of(world.rank()));
        world.allreduce(buffer.data(), count, dtype, op);
        const long wrong = first_mismatch(dtype, buffer, count, reduced(op, world.size()));
        EXPECT_EQ(wrong, -1) << "first wrong element";
      }
    }
  }
}

TEST(Allreduce, ZeroLengthIsANoOpEverywhere) {
  Communicator& world = comm::world();
  world.allreduce(nullptr, 0, DType::Float32, ReduceOp::Sum);
  auto work = world.allreduce_async(nullptr, 0, DType::BFloat16, ReduceOp::Average);
  EXPECT_TRUE(work->done());
  work->wait();
  world.broadcast(nullptr, 0, DType::Int64, 0);
  world.allgather(nullptr, nullptr, 0, DType::UInt8);
  world.reduce_scatter(nullptr, nullptr, 0, DType::Float64, ReduceOp::Max);
}

TEST(Allreduce, AverageOfIntegersIsRefused) {
  Communicator& world = comm::world();
  int32_t value = 1;
  try {
    world.allreduce(&value, 1, DType::Int32, ReduceOp::Average);
    ADD_FAILURE() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("avg is not defined for int32"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(world.allreduce_async(&value, 1, DType::UInt8, ReduceOp::Average), UsageError);
}

TEST(Allreduce, NullBufferIsRefused) {
  EXPECT_THROW(world().allreduce(nullptr, 3, DType::Float32, ReduceOp::Sum), UsageError);
}

// The reducer's case: the allreduce must advance while the main thread only
// computes (Open MPI alone would not progress it without MPI calls).
TEST(AllreduceAsync, ProgressesWhileTheCallerComputes) {
  Communicator& world = comm::world();
  const std::size_t count = std::size_t(1) << 22;  // 16 MiB of float32
  auto buffer = make_buffer(DType::Float32, count, inputs_of(world.rank()));
  auto work = world.allreduce_async(buffer.data(), count, DType::Float32, ReduceOp::Sum);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  volatile double sink = 0;
  while (!work->done() && std::chrono::steady_clock::now() < deadline) {
    for (int k = 0; k < 100000; ++k) sink = sink + std::sqrt(double(k));
  }
  EXPECT_TRUE(work->done()) << "the allreduce did not complete while the caller computed";
  work->wait();
  EXPECT_EQ(first_mismatch(DType::Float32, buffer, count, reduced(ReduceOp::Sum, world.size())),
            -1);
}

// The overlap measure trusts completed_at(): it must be the moment the MPI
// thread saw the operation finish, not the moment somebody asked.
TEST(AllreduceAsync, CompletionIsStampedWhenItFinishesNotWhenAsked) {
  Communicator& world = comm::world();
  float value = 1;
  const auto launched = std::chrono::steady_clock::now();
  auto work = world.allreduce_async(&value, 1, DType::Float32, ReduceOp::Sum);
  const auto deadline = launched + std::chrono::seconds(30);
  while (!work->done() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_TRUE(work->done());
  const auto seen = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  work->wait();
  const auto stamp = work->completed_at();
  ASSERT_TRUE(stamp.has_value());
  EXPECT_GE(*stamp, launched);
  EXPECT_LE(*stamp, seen);  // before the 100 ms of not looking
  EXPECT_EQ(value, float(world.size()));
}

TEST(AllreduceAsync, SeveralInFlightAroundASynchronousOne) {
  Communicator& world = comm::world();
  const int r = world.rank();
  const std::size_t n = 4099;
  auto a = make_buffer(DType::Float32, n, inputs_of(r));
  auto b = make_buffer(DType::BFloat16, n, inputs_of(r));
  auto c = make_buffer(DType::Int64, n, inputs_of(r));
  auto work_a = world.allreduce_async(a.data(), n, DType::Float32, ReduceOp::Sum);
  auto work_b = world.allreduce_async(b.data(), n, DType::BFloat16, ReduceOp::Average);
  world.allreduce(c.data(), n, DType::Int64, ReduceOp::Max);
  work_b->wait();  // out of order on purpose
  work_a->wait();
  const int size = world.size();
  EXPECT_EQ(first_mismatch(DType::Float32, a, n, reduced(ReduceOp::Sum, size)), -1);
  EXPECT_EQ(first_mismatch(DType::BFloat16, b, n, reduced(ReduceOp::Average, size)), -1);
  EXPECT_EQ(first_mismatch(DType::Int64, c, n, reduced(ReduceOp::Max, size)), -1);
}

}  // namespace
}  // namespace tandem::comm
