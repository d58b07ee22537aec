#pragma once
// A group of processes and the collectives and point-to-point transfers among
// them, over flat buffers. Backends: MPI (host memory; mpi_communicator.h) and
// NCCL (CUDA memory; nccl/nccl_communicator.h); make_communicator in backend.h
// picks one. Nothing above this layer includes mpi.h or nccl.h.
//
// Rules every caller must keep (as in MPI and NCCL):
//  - Every rank of a group calls the group's collectives in the same order with
//    the same count, dtype, op and root.
//  - Across groups, each process issues its collectives in one order that is
//    consistent between ranks: the MPI backend hands all operations of a process,
//    of every group, to one thread in submission order (see mpi_thread.h).
//  - Buffers stay alive and untouched until the operation's Work is done.
//
// The public methods check their arguments and treat zero-length transfers as
// no-ops (identically on every rank) before a backend sees them.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "parallel/comm/dtype.h"
#include "parallel/comm/work.h"

namespace tandem::comm {

// One side of a point-to-point transfer, for batch_p2p_async.
struct P2POp {
  enum class Kind { Send, Recv };
  Kind kind;
  void* data;  // read for Send, written for Recv
  std::size_t count;
  DType dtype;
  int peer;  // rank in this group
  int tag;   // 0..32767; NCCL ignores tags and pairs transfers to one peer in order
};

class Communicator {
 public:
  Communicator();
  virtual ~Communicator() = default;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  // World rank of each member, indexed by rank in this group.
  virtual std::vector<int> world_ranks() const = 0;

  // In place: data holds this rank's input and receives the reduction.
  void allreduce(void* data, std::size_t count, DType dtype, ReduceOp op);
  // Returns at once; the reduction proceeds while the caller computes.
  std::shared_ptr<Work> allreduce_async(void* data, std::size_t count, DType dtype, ReduceOp op);
  void broadcast(void* data, std::size_t count, DType dtype, int root);
  // recv holds size() * count_per_rank elements, rank i's block at i * count_per_rank.
  void allgather(const void* send, void* recv, std::size_t count_per_rank, DType dtype);
  // send holds size() * count_per_rank elements; this rank receives the
  // reduction of block rank() into recv.
  void reduce_scatter(const void* send, void* recv, std::size_t count_per_rank, DType dtype,
                      ReduceOp op);
  void barrier();

  std::shared_ptr<Work> send_async(const void* data, std::size_t count, DType dtype, int peer,
                                   int tag);
  std::shared_ptr<Work> recv_async(void* data, std::size_t count, DType dtype, int peer, int tag);
  // Posts all transfers together, so a rank may send to and receive from its
  // neighbours without ordering them by hand (one ncclGroupStart/End on NCCL).
  std::shared_ptr<Work> batch_p2p_async(const std::vector<P2POp>& ops);

  // Collective: ranks passing the same color (>= 0) form a new group, ordered
  // by key, then by rank here. The new group inherits this one's timeout.
  std::unique_ptr<Communicator> split(int color, int key);

  // The stream (a cudaStream_t) the caller computes on: device backends start
  // after the work queued on it and make it wait for their results. Host
  // memory has no streams, so the MPI backend ignores it.
  virtual void set_compute_stream(void* stream);
  // The same, asked at every operation: the stream the caller computes on
  // *now* (torch's current stream), as PyTorch's NCCL process group does.
  virtual void set_compute_stream_provider(std::function<void*()> provider);

  // The group of the same processes that moves host memory: this group for
  // MPI; the MPI bootstrap group for device backends, which read device
  // memory only. Host-side agreements (configuration checks) go through it.
  virtual Communicator& host_group() { return *this; }
  // A communicator of this group's backend over `host_members`, a group made
  // from host_group() (by split): the members themselves for MPI, a new NCCL
  // communicator among them for NCCL. Collective over `host_members`.
  virtual std::unique_ptr<Communicator> same_backend_over(std::unique_ptr<Communicator> host_members) {
    return host_members;
  }

  // Bound on every wait of this group (default_timeout() at creation).
  void set_timeout(std::chrono::milliseconds timeout);
  std::chrono::milliseconds timeout() const { return timeout_; }

 protected:
  // Backends implement these; arguments are checked and counts are non-zero.
  // `overlap` asks for an operation that leaves the backend free to start later
  // ones before it completes (the async API); otherwise the caller waits at once.
  virtual std::shared_ptr<Work> start_allreduce(void* data, std::size_t count, DType dtype,
                                                ReduceOp op, bool overlap) = 0;
  virtual std::shared_ptr<Work> start_broadcast(void* data, std::size_t count, DType dtype,
                                                int root) = 0;
  virtual std::shared_ptr<Work> start_allgather(const void* send, void* recv,
                                                std::size_t count_per_rank, DType dtype) = 0;
  virtual std::shared_ptr<Work> start_reduce_scatter(const void* send, void* recv,
                                                     std::size_t count_per_rank, DType dtype,
                                                     ReduceOp op) = 0;
  virtual std::shared_ptr<Work> start_barrier() = 0;
  virtual std::shared_ptr<Work> start_p2p(const std::vector<P2POp>& ops) = 0;
  virtual std::unique_ptr<Communicator> make_split(int color, int key) = 0;

  // Backends reject what they cannot carry (e.g. MPI's int counts) through this.
  [[noreturn]] void usage_error(const std::string& what, const std::string& reason) const;

 private:
  void check_reduction(const char* operation, DType dtype, ReduceOp op) const;
  void check_rank(const std::string& what, const char* role, int rank) const;
  void check_buffer(const std::string& what, const void* data, std::size_t count) const;

  std::chrono::milliseconds timeout_;
};

// "send of 16 float32 to rank 1 (tag 7)"
std::string describe(const P2POp& op);

}  // namespace tandem::comm
