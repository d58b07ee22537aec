#pragma once
// The NCCL backend: CUDA memory, one process per GPU. Built only with
// TANDEM_HAVE_NCCL; this header needs neither nccl.h nor the CUDA headers.
//
// Streams: NCCL kernels run on a communication stream owned here. Each
// operation first waits (cudaEvent) for the work the caller queued on its
// compute stream (set_compute_stream_provider: torch's current stream at each
// call; set_compute_stream; the legacy default stream otherwise);
// Work::wait() makes the compute stream wait for the result and, to bound
// hangs, polls the operation's event and ncclCommGetAsyncError until the
// group's timeout, then aborts the communicator (ncclCommAbort).
// Host pointers are refused with an error naming the operation (NCCL reads
// device memory only; host collectives go through host_group()).
// The communicator is created non-blocking, so that initialisation and every
// call that NCCL has not finished are bounded by the group's timeout.
// Buffers must stay allocated until wait() returns (with libtorch's caching
// allocator: keep the tensor or record_stream it).

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "parallel/comm/communicator.h"

namespace tandem::comm {

struct NcclState;

class NcclCommunicator final : public Communicator {
 public:
  // Collective over `bootstrap`, an MPI group of the same processes: rank 0
  // creates the ncclUniqueId and broadcasts it there, then every rank joins on
  // CUDA device `device`. The bootstrap group also supplies split().
  NcclCommunicator(std::unique_ptr<Communicator> bootstrap, int device);
  ~NcclCommunicator() override;

  int rank() const override { return bootstrap_->rank(); }
  int size() const override { return bootstrap_->size(); }
  std::vector<int> world_ranks() const override { return bootstrap_->world_ranks(); }
  void set_compute_stream(void* stream) override;
  void set_compute_stream_provider(std::function<void*()> provider) override;
  Communicator& host_group() override { return *bootstrap_; }
  std::unique_ptr<Communicator> same_backend_over(std::unique_ptr<Communicator> host_members) override;

 protected:
  std::shared_ptr<Work> start_allreduce(void* data, std::size_t count, DType dtype, ReduceOp op,
                                        bool overlap) override;
  std::shared_ptr<Work> start_broadcast(void* data, std::size_t count, DType dtype,
                                        int root) override;
  std::shared_ptr<Work> start_allgather(const void* send, void* recv, std::size_t count_per_rank,
                                        DType dtype) override;
  std::shared_ptr<Work> start_reduce_scatter(const void* send, void* recv,
                                             std::size_t count_per_rank, DType dtype,
                                             ReduceOp op) override;
  std::shared_ptr<Work> start_barrier() override;
  std::shared_ptr<Work> start_p2p(const std::vector<P2POp>& ops) override;
  std::unique_ptr<Communicator> make_split(int color, int key) override;

 private:
  // Orders the communication stream after the compute stream, lets `issue`
  // queue NCCL calls on it (given as cudaStream_t), and records the Work's event.
  // Refuses host buffers first, naming the operation.
  template <class Issue>
  std::shared_ptr<Work> enqueue(const std::string& what, const std::vector<const void*>& buffers, Issue issue);

  std::unique_ptr<Communicator> bootstrap_;
  int device_;
  void* compute_stream_ = nullptr;    // cudaStream_t
  std::function<void*()> stream_provider_;  // when set, asked instead of compute_stream_
  std::shared_ptr<NcclState> state_;  // shared with Works, which may abort it
  std::mutex enqueue_mutex_;          // a DDP hook and the main thread may both enqueue
};

}  // namespace tandem::comm
