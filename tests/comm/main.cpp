// comm_tests runs under mpirun at 1, 2 and 4 ranks: every rank runs every test.
// Rank 0 prints GoogleTest's report; other ranks print only their failures,
// and the job fails (rank 0's exit code) when any rank failed.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>

#include "parallel/comm/runtime.h"

namespace {

// On ranks other than 0: one line per failed assertion, tagged with the rank.
class FailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit FailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: %s\n", rank_,
                 result.file_name() ? result.file_name() : "?", result.line_number(),
                 result.summary());
  }

 private:
  int rank_;
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  tandem::comm::init();
  tandem::comm::Communicator& world = tandem::comm::world();
  // A test that fails on one rank may leave the others waiting in a
  // collective: give up long before CTest's own limit.
  world.set_timeout(std::chrono::seconds(60));
  if (world.rank() != 0) {
    ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new FailurePrinter(world.rank()));
  }

  int32_t failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  const int32_t failed_here = failed;
  world.allreduce(&failed, 1, tandem::comm::DType::Int32, tandem::comm::ReduceOp::Max);
  if (world.rank() == 0 && failed && !failed_here) {
    std::fprintf(stderr, "comm_tests: tests failed on another rank (see the [rank N] lines)\n");
  }
  tandem::comm::finalize();
  return failed ? 1 : 0;
}
