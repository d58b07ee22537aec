#include "parallel/comm/nccl/nccl_communicator.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "engine/error.h"
#include "parallel/comm/runtime.h"

namespace tandem::comm {

namespace {

void check_cuda(cudaError_t rc, const char* call) {
  if (rc != cudaSuccess) throw RuntimeFailure(std::string(call) + ": " + cudaGetErrorString(rc));
}

void check_nccl(ncclResult_t rc, const char* call, ncclComm_t comm = nullptr) {
  if (rc == ncclSuccess) return;
  std::string message = std::string(call) + ": " + ncclGetErrorString(rc);
  const char* detail = ncclGetLastError(comm);
  if (detail != nullptr && *detail != '\0') message += std::string(" (") + detail + ")";
  throw RuntimeFailure(message + "; rerun with NCCL_DEBUG=WARN for NCCL's own report");
}

ncclDataType_t nccl_type(DType dtype) {
  switch (dtype) {
    case DType::Float32: return ncclFloat32;
    case DType::Float64: return ncclFloat64;
    case DType::Float16: return ncclFloat16;
    case DType::BFloat16: return ncclBfloat16;
    case DType::Int32: return ncclInt32;
    case DType::Int64: return ncclInt64;
    case DType::UInt8: return ncclUint8;
  }
  return ncclUint8;
}

ncclRedOp_t nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return ncclSum;
    case ReduceOp::Average: return ncclAvg;
    case ReduceOp::Max: return ncclMax;
    case ReduceOp::Min: return ncclMin;
  }
  return ncclSum;
}

// Where a buffer lives, for refusing host memory before NCCL reads it.
bool is_device_memory(const void* data) {
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, data) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error of an unknown pointer
    return false;
  }
  return attributes.type == cudaMemoryTypeDevice || attributes.type == cudaMemoryTypeManaged;
}

// Polling policy of Work::wait(): spin briefly (collectives are usually short),
// then sleep between checks so a long wait leaves the CPU to others.
constexpr auto kSpinWindow = std::chrono::milliseconds(1);
constexpr auto kPollInterval = std::chrono::microseconds(50);

// A non-blocking communicator answers ncclInProgress until a call has been
// carried out; nothing else may be called on it before then. Waits for that
// within `timeout`, aborting the communicator when it passes.
void settle(ncclResult_t rc, const char* call, ncclComm_t comm, std::chrono::milliseconds timeout,
            const std::string& what) {
  if (rc != ncclInProgress) {
    check_nccl(rc, call, comm);
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  ncclResult_t state = ncclInProgress;
  while (state == ncclInProgress) {
    if (std::chrono::steady_clock::now() - start > timeout) {
      ncclCommAbort(comm);
      throw RuntimeFailure(timeout_message(what, timeout) + " (in " + call + "); the NCCL communicator was aborted");
    }
    std::this_thread::sleep_for(kPollInterval);
    ncclCommGetAsyncError(comm, &state);
  }
  check_nccl(state, call, comm);
}

}  // namespace

struct NcclState {
  int device = 0;
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;  // communication stream
  cudaEvent_t ready = nullptr;    // compute stream's position before each operation
  void* barrier_word = nullptr;   // one device float that barrier() allreduces
  std::mutex mutex;               // abort() against the destructor
  bool aborted = false;

  // After a timeout or an asynchronous NCCL error: kernels stuck waiting for a
  // peer are released, and the communicator refuses further work.
  void abort() {
    std::lock_guard<std::mutex> lock(mutex);
    if (aborted) return;
    aborted = true;
    ncclCommAbort(comm);
  }

  ~NcclState() {
    cudaSetDevice(device);
    if (comm != nullptr && !aborted) {
      cudaStreamSynchronize(stream);  // NCCL requires no operation in flight at destroy
      ncclCommDestroy(comm);
    }
    if (barrier_word != nullptr) cudaFree(barrier_word);
    if (ready != nullptr) cudaEventDestroy(ready);
    if (stream != nullptr) cudaStreamDestroy(stream);
  }
};

namespace {

class NcclWork final : public Work {
 public:
  NcclWork(std::shared_ptr<NcclState> state, cudaEvent_t finished, cudaStream_t compute,
           std::string what, std::chrono::milliseconds timeout)
      : state_(std::move(state)),
        finished_(finished),
        compute_(compute),
        what_(std::move(what)),
        timeout_(timeout) {}

  ~NcclWork() override { cudaEventDestroy(finished_); }  // released once the event completes

  bool done() override {
    const cudaError_t rc = cudaEventQuery(finished_);
    if (rc == cudaErrorNotReady) return false;
    check(rc, "cudaEventQuery");
    return true;
  }

  void order_compute_after() override {
    // No host wait: the compute stream waits for the event. A failure or hang
    // surfaces at the next host wait on this communicator (wait(), or the
    // check below of NCCL's asynchronous error state).
    ncclResult_t async = ncclSuccess;
    ncclCommGetAsyncError(state_->comm, &async);
    if (async != ncclSuccess && async != ncclInProgress) {
      state_->abort();
      throw RuntimeFailure(process_label() + ": " + what_ + " failed: NCCL reported " + ncclGetErrorString(async) +
                           "; the communicator was aborted");
    }
    check(cudaStreamWaitEvent(compute_, finished_, 0), "cudaStreamWaitEvent");
  }

  void wait() override {
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      const cudaError_t rc = cudaEventQuery(finished_);
      if (rc == cudaSuccess) break;
      if (rc != cudaErrorNotReady) check(rc, "cudaEventQuery");
      ncclResult_t async = ncclSuccess;
      ncclCommGetAsyncError(state_->comm, &async);
      if (async != ncclSuccess && async != ncclInProgress) {
        state_->abort();
        throw RuntimeFailure(process_label() + ": " + what_ + " failed: NCCL reported " +
                             ncclGetErrorString(async) + "; the communicator was aborted");
      }
      const auto waited = std::chrono::steady_clock::now() - start;
      if (waited > timeout_) {
        state_->abort();
        throw RuntimeFailure(timeout_message(what_, timeout_) +
                             "; the NCCL communicator was aborted");
      }
      if (waited < kSpinWindow) {
        std::this_thread::yield();
      } else {
        std::this_thread::sleep_for(kPollInterval);
      }
    }
    check(cudaStreamWaitEvent(compute_, finished_, 0), "cudaStreamWaitEvent");
  }

 private:
  void check(cudaError_t rc, const char* call) const {
    if (rc != cudaSuccess) {
      throw RuntimeFailure(process_label() + ": " + what_ + " failed: " + call + ": " +
                           cudaGetErrorString(rc));
    }
  }

  std::shared_ptr<NcclState> state_;
  cudaEvent_t finished_;
  cudaStream_t compute_;
  std::string what_;
  std::chrono::milliseconds timeout_;
};

// What rank 0 broadcasts: the id, or the reason it has none, so that a failure
// there fails every rank instead of leaving them waiting in ncclCommInitRank.
struct IdMessage {
  ncclUniqueId id;
  char error[256];
};

}  // namespace

NcclCommunicator::NcclCommunicator(std::unique_ptr<Communicator> bootstrap, int device)
    : bootstrap_(std::move(bootstrap)), device_(device), state_(std::make_shared<NcclState>()) {
  int devices = 0;
  const cudaError_t rc = cudaGetDeviceCount(&devices);
  if (rc != cudaSuccess) {
    throw RuntimeFailure(
        process_label() + ": the NCCL backend needs a CUDA device: cudaGetDeviceCount: " +
        cudaGetErrorString(rc) + "; use --comm_backend mpi on machines without GPUs");
  }
  if (device < 0 || device >= devices) {
    usage_error("NCCL communicator",
                "CUDA device " + std::to_string(device) + " does not exist (this host has " +
                    std::to_string(devices) +
                    "); run one process per GPU: the device is the local rank");
  }
  state_->device = device;
  check_cuda(cudaSetDevice(device), "cudaSetDevice");

  IdMessage message{};
  if (bootstrap_->rank() == 0) {
    try {
      check_nccl(ncclGetUniqueId(&message.id), "ncclGetUniqueId");
    } catch (const RuntimeFailure& e) {
      std::strncpy(message.error, e.what(), sizeof message.error - 1);
    }
  }
  bootstrap_->broadcast(&message, sizeof message, DType::UInt8, 0);
  if (message.error[0] != '\0') {
    throw RuntimeFailure(process_label() +
                         ": NCCL set-up failed on group rank 0: " + message.error);
  }
  try {
    // Non-blocking, so that a peer that never joins ends in a timeout, not a hang.
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    settle(ncclCommInitRankConfig(&state_->comm, size(), message.id, rank(), &config), "ncclCommInitRankConfig",
           state_->comm, timeout(), "NCCL initialisation of a group of " + std::to_string(size()));
    check_cuda(cudaStreamCreateWithFlags(&state_->stream, cudaStreamNonBlocking),
               "cudaStreamCreate");
    check_cuda(cudaEventCreateWithFlags(&state_->ready, cudaEventDisableTiming), "cudaEventCreate");
    check_cuda(cudaMalloc(&state_->barrier_word, sizeof(float)), "cudaMalloc");
  } catch (const RuntimeFailure& e) {
    throw RuntimeFailure(process_label() + ": NCCL set-up of a group of " + std::to_string(size()) +
                         " on CUDA device " + std::to_string(device) + " failed: " + e.what());
  }
}

NcclCommunicator::~NcclCommunicator() = default;

void NcclCommunicator::set_compute_stream(void* stream) {
  std::lock_guard<std::mutex> lock(enqueue_mutex_);
  compute_stream_ = stream;
}

void NcclCommunicator::set_compute_stream_provider(std::function<void*()> provider) {
  std::lock_guard<std::mutex> lock(enqueue_mutex_);
  stream_provider_ = std::move(provider);
}

template <class Issue>
std::shared_ptr<Work> NcclCommunicator::enqueue(const std::string& what, const std::vector<const void*>& buffers,
                                                Issue issue) {
  for (const void* buffer : buffers)
    if (!is_device_memory(buffer))
      usage_error(what, "the buffer is host memory, and NCCL reads device memory only (host-side collectives go "
                        "through the group's host_group())");
  std::lock_guard<std::mutex> lock(enqueue_mutex_);
  NcclState& state = *state_;
  if (state.aborted) {
    throw RuntimeFailure(process_label() + ": " + what +
                         ": the NCCL communicator was aborted after an earlier timeout or error");
  }
  const auto compute = static_cast<cudaStream_t>(stream_provider_ ? stream_provider_() : compute_stream_);
  cudaEvent_t finished = nullptr;
  try {
    check_cuda(cudaSetDevice(device_), "cudaSetDevice");
    // The caller's kernels that produce the data run before the transfer.
    check_cuda(cudaEventRecord(state.ready, compute), "cudaEventRecord");
    check_cuda(cudaStreamWaitEvent(state.stream, state.ready, 0), "cudaStreamWaitEvent");
    issue(state.comm, state.stream);
    check_cuda(cudaEventCreateWithFlags(&finished, cudaEventDisableTiming), "cudaEventCreate");
    check_cuda(cudaEventRecord(finished, state.stream), "cudaEventRecord");
  } catch (const RuntimeFailure& e) {
    if (finished != nullptr) cudaEventDestroy(finished);
    throw RuntimeFailure(process_label() + ": " + what + " failed: " + e.what());
  }
  return std::make_shared<NcclWork>(state_, finished, compute, what, timeout());
}

std::shared_ptr<Work> NcclCommunicator::start_allreduce(void* data, std::size_t count, DType dtype,
                                                        ReduceOp op, bool) {
  // NCCL never holds up later operations, so `overlap` changes nothing here.
  const std::string what = describe("allreduce", count, dtype);
  return enqueue(what, {data}, [&](ncclComm_t comm, cudaStream_t stream) {
    settle(ncclAllReduce(data, data, count, nccl_type(dtype), nccl_op(op), comm, stream), "ncclAllReduce", comm,
           timeout(), what);
  });
}

std::shared_ptr<Work> NcclCommunicator::start_broadcast(void* data, std::size_t count, DType dtype,
                                                        int root) {
  const std::string what = describe("broadcast", count, dtype) + " from rank " + std::to_string(root);
  return enqueue(what, {data}, [&](ncclComm_t comm, cudaStream_t stream) {
    settle(ncclBroadcast(data, data, count, nccl_type(dtype), root, comm, stream), "ncclBroadcast", comm, timeout(),
           what);
  });
}

std::shared_ptr<Work> NcclCommunicator::start_allgather(const void* send, void* recv,
                                                        std::size_t count_per_rank, DType dtype) {
  const std::string what = describe("allgather", count_per_rank, dtype);
  return enqueue(what, {send, recv}, [&](ncclComm_t comm, cudaStream_t stream) {
    settle(ncclAllGather(send, recv, count_per_rank, nccl_type(dtype), comm, stream), "ncclAllGather", comm,
           timeout(), what);
  });
}

std::shared_ptr<Work> NcclCommunicator::start_reduce_scatter(const void* send, void* recv,
                                                             std::size_t count_per_rank,
                                                             DType dtype, ReduceOp op) {
  const std::string what = describe("reduce_scatter", count_per_rank, dtype);
  return enqueue(what, {send, recv}, [&](ncclComm_t comm, cudaStream_t stream) {
    settle(ncclReduceScatter(send, recv, count_per_rank, nccl_type(dtype), nccl_op(op), comm, stream),
           "ncclReduceScatter", comm, timeout(), what);
  });
}

std::shared_ptr<Work> NcclCommunicator::start_barrier() {
  // A one-element allreduce: once it completes, every rank's stream reached it.
  void* word = state_->barrier_word;
  return enqueue("barrier", {word}, [&](ncclComm_t comm, cudaStream_t stream) {
    settle(ncclAllReduce(word, word, 1, ncclFloat32, ncclSum, comm, stream), "ncclAllReduce", comm, timeout(),
           "barrier");
  });
}

std::shared_ptr<Work> NcclCommunicator::start_p2p(const std::vector<P2POp>& ops) {
  std::string what;
  std::vector<const void*> buffers;
  for (const P2POp& op : ops) {
    what += (what.empty() ? "" : " + ") + describe(op);
    buffers.push_back(op.data);
  }
  return enqueue(what, buffers, [&](ncclComm_t comm, cudaStream_t stream) {
    // One group: a rank's sends and receives progress together, so neighbours
    // exchanging in both directions cannot deadlock.
    check_nccl(ncclGroupStart(), "ncclGroupStart", comm);
    for (const P2POp& op : ops) {
      const ncclResult_t rc =
          op.kind == P2POp::Kind::Send
              ? ncclSend(op.data, op.count, nccl_type(op.dtype), op.peer, comm, stream)
              : ncclRecv(op.data, op.count, nccl_type(op.dtype), op.peer, comm, stream);
      if (rc != ncclSuccess && rc != ncclInProgress) {
        ncclGroupEnd();
        check_nccl(rc, op.kind == P2POp::Kind::Send ? "ncclSend" : "ncclRecv", comm);
      }
    }
    settle(ncclGroupEnd(), "ncclGroupEnd", comm, timeout(), what);
  });
}

std::unique_ptr<Communicator> NcclCommunicator::same_backend_over(std::unique_ptr<Communicator> host_members) {
  auto group = std::make_unique<NcclCommunicator>(std::move(host_members), device_);
  std::lock_guard<std::mutex> lock(enqueue_mutex_);
  group->set_compute_stream(compute_stream_);
  if (stream_provider_) group->set_compute_stream_provider(stream_provider_);
  return group;
}

std::unique_ptr<Communicator> NcclCommunicator::make_split(int color, int key) {
  // A new id per color over the split bootstrap group: one code path for every
  // NCCL version (ncclCommSplit would share buffers but needs NCCL >= 2.18).
  return same_backend_over(bootstrap_->split(color, key));
}

}  // namespace tandem::comm
