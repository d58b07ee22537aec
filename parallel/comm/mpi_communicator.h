#pragma once
// The MPI backend: host memory, every MPI call made on the process's MPI thread
// (mpi_thread.h). Internal to parallel/comm (it includes mpi.h); callers hold a
// Communicator from runtime.h or backend.h.

#include <memory>
#include <string>
#include <vector>

#include "parallel/comm/communicator.h"
#include "parallel/comm/mpi_c.h"
#include "parallel/comm/mpi_thread.h"

namespace tandem::comm {

class MpiCommunicator final : public Communicator {
 public:
  // Takes ownership of `comm` (errors become exceptions, not aborts). Call on
  // the MPI thread: it asks MPI for the group's members.
  static std::unique_ptr<MpiCommunicator> adopt(MPI_Comm comm);
  // Queues MPI_Comm_free behind the group's operations (MPI lets pending ones finish).
  ~MpiCommunicator() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::vector<int> world_ranks() const override { return world_ranks_; }

  // Queues `start` on the MPI thread, bounded by this group's timeout.
  std::shared_ptr<Work> submit(std::string what, MpiThread::Start start);
  // The handle, for code on the MPI thread (runtime: shared-memory split).
  MPI_Comm handle() const { return comm_; }

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
  MpiCommunicator(MPI_Comm comm, int rank, int size, std::vector<int> world_ranks);
  // MPI counts are int: larger transfers are refused rather than truncated.
  int checked_count(const std::string& what, std::size_t count) const;

  MPI_Comm comm_;
  int rank_;
  int size_;
  std::vector<int> world_ranks_;
};

}  // namespace tandem::comm
