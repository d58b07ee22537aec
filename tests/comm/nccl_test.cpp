// The NCCL backend on real GPUs; built only with NCCL, and skipped (on every
// rank alike) unless each process has its own CUDA device.
#ifdef TANDEM_HAVE_NCCL

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include "engine/error.h"
#include "parallel/comm/backend.h"
#include "parallel/comm/runtime.h"
#include "tests/comm/test_values.h"

namespace tandem::comm {
namespace {

using testing::first_mismatch;
using testing::inputs_of;
using testing::make_buffer;
using testing::reduced;

bool one_gpu_per_rank() {
  int devices = 0;
  int32_t ok = cudaGetDeviceCount(&devices) == cudaSuccess && devices >= process_info().local_size;
  world().allreduce(&ok, 1, DType::Int32, ReduceOp::Min);
  return ok != 0;
}

// A copy of host bytes in device memory, read back on request.
class DeviceCopy {
 public:
  explicit DeviceCopy(const std::vector<unsigned char>& host) : size_(host.size()) {
    EXPECT_EQ(cudaMalloc(&data_, size_), cudaSuccess);
    EXPECT_EQ(cudaMemcpy(data_, host.data(), size_, cudaMemcpyHostToDevice), cudaSuccess);
  }
  ~DeviceCopy() { cudaFree(data_); }
  void* data() { return data_; }
  std::vector<unsigned char> read() const {
    std::vector<unsigned char> host(size_);
    EXPECT_EQ(cudaMemcpy(host.data(), data_, size_, cudaMemcpyDeviceToHost), cudaSuccess);
    return host;
  }

 private:
  void* data_ = nullptr;
  std::size_t size_;
};

TEST(Nccl, AllreduceIsExactOnTheGpu) {
  if (!one_gpu_per_rank()) GTEST_SKIP() << "needs one CUDA device per rank";
  auto group = make_communicator(Backend::Nccl, Memory::Cuda);
  const int size = group->size();
  const std::size_t n = 1023;
  for (DType dtype : {DType::Float32, DType::BFloat16, DType::Float16, DType::Int32}) {
    for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Average, ReduceOp::Max}) {
      if (op == ReduceOp::Average && is_integer(dtype)) continue;
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " " + reduce_op_name(op));
      DeviceCopy buffer(make_buffer(dtype, n, inputs_of(group->rank())));
      group->allreduce(buffer.data(), n, dtype, op);
      EXPECT_EQ(first_mismatch(dtype, buffer.read(), n, reduced(op, size)), -1);
    }
  }
}

TEST(Nccl, RingExchangeSplitAndBarrier) {
  if (!one_gpu_per_rank()) GTEST_SKIP() << "needs one CUDA device per rank";
  auto group = make_communicator(Backend::Nccl, Memory::Cuda);
  const int next = (group->rank() + 1) % group->size();
  const int prev = (group->rank() + group->size() - 1) % group->size();
  const std::size_t n = 4097;
  DeviceCopy mine(make_buffer(DType::Float32, n, inputs_of(group->rank())));
  DeviceCopy from_prev(std::vector<unsigned char>(n * 4));
  group
      ->batch_p2p_async({{P2POp::Kind::Send, mine.data(), n, DType::Float32, next, 0},
                         {P2POp::Kind::Recv, from_prev.data(), n, DType::Float32, prev, 0}})
      ->wait();
  EXPECT_EQ(first_mismatch(DType::Float32, from_prev.read(), n, inputs_of(prev)), -1);

  auto half = group->split(group->rank() % 2, group->rank());
  int64_t host_rank = group->rank();
  DeviceCopy sum(make_buffer(DType::Int64, 1, [&](std::size_t) { return double(host_rank); }));
  half->allreduce(sum.data(), 1, DType::Int64, ReduceOp::Sum);
  int64_t expected = 0;
  for (int r = group->rank() % 2; r < group->size(); r += 2) expected += r;
  EXPECT_EQ(testing::read_value(DType::Int64, sum.read().data(), 0), double(expected));
  group->barrier();
}

// A receive from this rank with no matching send: NCCL either refuses it at
// once or hangs in the kernel; the hang must end at the timeout with the
// communicator aborted.
TEST(Nccl, MissingPeerFailsWithinTheTimeout) {
  if (world().size() != 1 || !one_gpu_per_rank()) GTEST_SKIP() << "runs alone on one GPU";
  auto group = make_communicator(Backend::Nccl, Memory::Cuda);
  group->set_timeout(std::chrono::seconds(2));
  DeviceCopy buffer(std::vector<unsigned char>(16));
  std::string message;
  try {
    group->recv_async(buffer.data(), 4, DType::Float32, 0, 0)->wait();
  } catch (const RuntimeFailure& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("recv of 4 float32 from rank 0 (tag 0)"), std::string::npos) << message;
  if (message.find("timed out after 2 s") != std::string::npos) {
    EXPECT_THROW(group->barrier(), RuntimeFailure);  // aborted communicators refuse work
  }
}

}  // namespace
}  // namespace tandem::comm

#endif  // TANDEM_HAVE_NCCL
