#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "engine/error.h"
#include "parallel/comm/backend.h"
#include "parallel/comm/runtime.h"
#include "parallel/comm/timeout.h"

namespace tandem::comm {
namespace {

TEST(Runtime, ProcessInfoDescribesThisJob) {
  const ProcessInfo& info = process_info();
  EXPECT_EQ(info.world_rank, world().rank());
  EXPECT_EQ(info.world_size, world().size());
  ASSERT_EQ(int(info.host_of_rank.size()), info.world_size);
  EXPECT_EQ(info.host_of_rank[info.world_rank], info.hostname);
  const int on_this_host =
      int(std::count(info.host_of_rank.begin(), info.host_of_rank.end(), info.hostname));
  EXPECT_EQ(info.local_size, on_this_host);
  EXPECT_GE(info.local_rank, 0);
  EXPECT_LT(info.local_rank, info.local_size);
  EXPECT_EQ(process_label(),
            "rank " + std::to_string(info.world_rank) + " (host " + info.hostname + ")");
}

TEST(Runtime, InitAgainIsHarmless) {
  EXPECT_NO_THROW(init());
  EXPECT_TRUE(initialized());
}

TEST(Timeout, ComesFromTheEnvironment) {
  const char* kVariable = "TANDEM_COMM_TIMEOUT_SECONDS";
  ::unsetenv(kVariable);
  EXPECT_EQ(default_timeout(), std::chrono::seconds(300));
  ::setenv(kVariable, "2.5", 1);
  EXPECT_EQ(default_timeout(), std::chrono::milliseconds(2500));
  ::setenv(kVariable, "soon", 1);
  EXPECT_THROW(default_timeout(), UsageError);
  ::setenv(kVariable, "-1", 1);
  EXPECT_THROW(default_timeout(), UsageError);
  ::unsetenv(kVariable);
  EXPECT_THROW(world().set_timeout(std::chrono::milliseconds(0)), UsageError);
}

TEST(Backend, ParsesNamesAndRefusesOthers) {
  EXPECT_EQ(parse_backend("auto"), Backend::Auto);
  EXPECT_EQ(parse_backend("mpi"), Backend::Mpi);
  EXPECT_EQ(parse_backend("nccl"), Backend::Nccl);
  try {
    parse_backend("gloo");
    ADD_FAILURE() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--comm_backend: unknown backend 'gloo': expected auto, mpi or nccl");
  }
}

TEST(Backend, AutoPicksNcclOnlyForCudaMemoryInAnNcclBuild) {
  EXPECT_EQ(resolve_backend(Backend::Auto, Memory::Host), Backend::Mpi);
  EXPECT_EQ(resolve_backend(Backend::Auto, Memory::Cuda),
            nccl_built() ? Backend::Nccl : Backend::Mpi);
  EXPECT_EQ(resolve_backend(Backend::Mpi, Memory::Cuda), Backend::Mpi);
  EXPECT_THROW(resolve_backend(Backend::Nccl, Memory::Host), UsageError);
  if (!nccl_built()) {
    EXPECT_THROW(resolve_backend(Backend::Nccl, Memory::Cuda), UsageError);
  }
}

TEST(Backend, MakesAWorldGroupOnMpi) {
  auto group = make_communicator(Backend::Auto, Memory::Host);
  EXPECT_EQ(group->size(), world().size());
  EXPECT_EQ(group->rank(), world().rank());
  int32_t one = 1;
  group->allreduce(&one, 1, DType::Int32, ReduceOp::Sum);
  EXPECT_EQ(one, world().size());
}

}  // namespace
}  // namespace tandem::comm
