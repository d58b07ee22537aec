// What device backends (NCCL) rely on, checked on the CPU: host-side
// agreements go through the group's host_group(), never through a group that
// reads device memory only; and one rule picks every process's GPU.
#include "engine/error.h"
#include "parallel/comm/consistency.h"
#include "parallel/comm/device_rule.h"
#include "parallel/comm/runtime.h"

#include <gtest/gtest.h>

namespace tandem::comm {
namespace {

// A group that, like NCCL, cannot carry host memory: every operation fails
// the test. Its host_group() is an MPI group of the same processes.
class DeviceOnlyGroup final : public Communicator {
 public:
  DeviceOnlyGroup() : host_(world().split(0, world().rank())) {}
  int rank() const override { return host_->rank(); }
  int size() const override { return host_->size(); }
  std::vector<int> world_ranks() const override { return host_->world_ranks(); }
  Communicator& host_group() override { return *host_; }

 protected:
  std::shared_ptr<Work> refuse(const char* op) {
    ADD_FAILURE() << op << " reached a device-only group with host memory";
    throw RuntimeFailure(std::string(op) + " on a device-only group");
  }
  std::shared_ptr<Work> start_allreduce(void*, std::size_t, DType, ReduceOp, bool) override { return refuse("allreduce"); }
  std::shared_ptr<Work> start_broadcast(void*, std::size_t, DType, int) override { return refuse("broadcast"); }
  std::shared_ptr<Work> start_allgather(const void*, void*, std::size_t, DType) override { return refuse("allgather"); }
  std::shared_ptr<Work> start_reduce_scatter(const void*, void*, std::size_t, DType, ReduceOp) override {
    return refuse("reduce_scatter");
  }
  std::shared_ptr<Work> start_barrier() override { return refuse("barrier"); }
  std::shared_ptr<Work> start_p2p(const std::vector<P2POp>&) override { return refuse("p2p"); }
  std::unique_ptr<Communicator> make_split(int, int) override { return host_->split(0, 0); }

 private:
  std::unique_ptr<Communicator> host_;
};

TEST(DeviceGroups, ConfigurationChecksGoThroughTheHostGroup) {
  DeviceOnlyGroup group;
  EXPECT_NO_THROW(check_same_across_ranks(group, "data-parallel bucket layout", "2 buckets: 1048576 4096"));
  if (group.size() < 2) return;
  const std::string mine = group.rank() == 1 ? "3 buckets" : "2 buckets";
  EXPECT_THROW(check_same_across_ranks(group, "data-parallel bucket layout", mine), UsageError);
}

TEST(DeviceRule, OneVisibleDeviceIsEveryRanksDevice) {
  // Per-rank CUDA_VISIBLE_DEVICES, or ranks sharing one GPU over MPI.
  EXPECT_EQ(cuda_device_for(0, 1), 0);
  EXPECT_EQ(cuda_device_for(5, 1), 0);
}

TEST(DeviceRule, SeveralVisibleDevicesAreIndexedByLocalRank) {
  EXPECT_EQ(cuda_device_for(0, 8), 0);
  EXPECT_EQ(cuda_device_for(7, 8), 7);
}

TEST(DeviceRule, MoreRanksThanDevicesIsAClearError) {
  try {
    cuda_device_for(8, 8);
    FAIL() << "local rank 8 of 8 devices was given a device";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("local rank 8"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("CUDA_VISIBLE_DEVICES"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cuda_device_for(0, 0), UsageError);
}

}  // namespace
}  // namespace tandem::comm
