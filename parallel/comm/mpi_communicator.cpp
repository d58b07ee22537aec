#include "parallel/comm/mpi_communicator.h"

#include <climits>
#include <numeric>

#include "parallel/comm/mpi_datatypes.h"

namespace tandem::comm {

std::unique_ptr<MpiCommunicator> MpiCommunicator::adopt(MPI_Comm comm) {
  check_mpi(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  int rank = 0, size = 0;
  check_mpi(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  MPI_Group group, world_group;
  check_mpi(MPI_Comm_group(comm, &group), "MPI_Comm_group");
  check_mpi(MPI_Comm_group(MPI_COMM_WORLD, &world_group), "MPI_Comm_group");
  std::vector<int> ranks(size), world_ranks(size);
  std::iota(ranks.begin(), ranks.end(), 0);
  check_mpi(MPI_Group_translate_ranks(group, size, ranks.data(), world_group, world_ranks.data()),
            "MPI_Group_translate_ranks");
  MPI_Group_free(&group);
  MPI_Group_free(&world_group);
  return std::unique_ptr<MpiCommunicator>(new MpiCommunicator(comm, rank, size, world_ranks));
}

MpiCommunicator::MpiCommunicator(MPI_Comm comm, int rank, int size, std::vector<int> world_ranks)
    : comm_(comm), rank_(rank), size_(size), world_ranks_(std::move(world_ranks)) {}

MpiCommunicator::~MpiCommunicator() {
  MPI_Comm comm = comm_;
  try {
    submit("free communicator", [comm]() mutable {
      check_mpi(MPI_Comm_free(&comm), "MPI_Comm_free");
      return Posted{};
    });
  } catch (const std::exception&) {
    // finalize() already ran: MPI_Finalize released every communicator.
  }
}

std::shared_ptr<Work> MpiCommunicator::submit(std::string what, MpiThread::Start start) {
  return mpi_thread().submit(std::move(what), timeout(), std::move(start));
}

int MpiCommunicator::checked_count(const std::string& what, std::size_t count) const {
  if (count > std::size_t(INT_MAX)) {
    usage_error(what, "the MPI backend moves at most " + std::to_string(INT_MAX) +
                          " elements per call; split the buffer (e.g. smaller DDP buckets)");
  }
  return int(count);
}

std::shared_ptr<Work> MpiCommunicator::start_allreduce(void* data, std::size_t count, DType dtype,
                                                       ReduceOp op, bool overlap) {
  const std::string what = describe("allreduce", count, dtype);
  const int n = checked_count(what, count);
  const MPI_Comm comm = comm_;
  const int size = size_;
  return submit(what, [=]() {
    Posted posted;
    if (op == ReduceOp::Average) posted.finish = [=] { divide_by_size(data, count, dtype, size); };
    const MPI_Op mpi_reduction = mpi_op(dtype, op);
    if (overlap) {
      // Nonblocking, so operations queued behind it start while it is in flight.
      posted.requests.resize(1);
      check_mpi(MPI_Iallreduce(MPI_IN_PLACE, data, n, mpi_datatype(dtype), mpi_reduction, comm,
                               posted.requests.data()),
                "MPI_Iallreduce");
    } else {
      // Blocking: Open MPI's tuned algorithms beat the nonblocking ones, and the
      // caller waits anyway.
      check_mpi(MPI_Allreduce(MPI_IN_PLACE, data, n, mpi_datatype(dtype), mpi_reduction, comm),
                "MPI_Allreduce");
    }
    return posted;
  });
}

std::shared_ptr<Work> MpiCommunicator::start_broadcast(void* data, std::size_t count, DType dtype,
                                                       int root) {
  const std::string what =
      describe("broadcast", count, dtype) + " from rank " + std::to_string(root);
  const int n = checked_count(what, count);
  const MPI_Comm comm = comm_;
  return submit(what, [=]() {
    check_mpi(MPI_Bcast(data, n, mpi_datatype(dtype), root, comm), "MPI_Bcast");
    return Posted{};
  });
}

std::shared_ptr<Work> MpiCommunicator::start_allgather(const void* send, void* recv,
                                                       std::size_t count_per_rank, DType dtype) {
  const std::string what = describe("allgather", count_per_rank, dtype);
  const int n = checked_count(what, count_per_rank);
  const MPI_Comm comm = comm_;
  // MPI forbids aliased buffers: a rank whose input already sits in its block
  // of the output must say so with MPI_IN_PLACE.
  const bool in_place = send == static_cast<const char*>(recv) +
                                    std::size_t(rank_) * count_per_rank * dtype_size(dtype);
  return submit(what, [=]() {
    const MPI_Datatype type = mpi_datatype(dtype);
    check_mpi(MPI_Allgather(in_place ? MPI_IN_PLACE : send, n, type, recv, n, type, comm),
              "MPI_Allgather");
    return Posted{};
  });
}

std::shared_ptr<Work> MpiCommunicator::start_reduce_scatter(const void* send, void* recv,
                                                            std::size_t count_per_rank, DType dtype,
                                                            ReduceOp op) {
  const std::string what = describe("reduce_scatter", count_per_rank, dtype);
  const int n = checked_count(what, count_per_rank);
  const MPI_Comm comm = comm_;
  const int size = size_;
  return submit(what, [=]() {
    check_mpi(MPI_Reduce_scatter_block(send, recv, n, mpi_datatype(dtype), mpi_op(dtype, op), comm),
              "MPI_Reduce_scatter_block");
    if (op == ReduceOp::Average) divide_by_size(recv, count_per_rank, dtype, size);
    return Posted{};
  });
}

std::shared_ptr<Work> MpiCommunicator::start_barrier() {
  const MPI_Comm comm = comm_;
  return submit("barrier", [=]() {
    check_mpi(MPI_Barrier(comm), "MPI_Barrier");
    return Posted{};
  });
}

std::shared_ptr<Work> MpiCommunicator::start_p2p(const std::vector<P2POp>& ops) {
  std::string what;
  std::vector<int> counts;
  for (const P2POp& op : ops) {
    what += (what.empty() ? "" : " + ") + describe(op);
    counts.push_back(checked_count(describe(op), op.count));
  }
  const MPI_Comm comm = comm_;
  return submit(what, [=]() {
    Posted posted;
    posted.requests.resize(ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const P2POp& op = ops[i];
      const MPI_Datatype type = mpi_datatype(op.dtype);
      if (op.kind == P2POp::Kind::Send) {
        check_mpi(MPI_Isend(op.data, counts[i], type, op.peer, op.tag, comm, &posted.requests[i]),
                  "MPI_Isend");
      } else {
        check_mpi(MPI_Irecv(op.data, counts[i], type, op.peer, op.tag, comm, &posted.requests[i]),
                  "MPI_Irecv");
      }
    }
    return posted;
  });
}

std::unique_ptr<Communicator> MpiCommunicator::make_split(int color, int key) {
  // Shared, not captured by reference: after a timeout the caller is gone but
  // the split may still complete on the MPI thread.
  auto group = std::make_shared<std::unique_ptr<MpiCommunicator>>();
  const MPI_Comm comm = comm_;
  submit("split (color " + std::to_string(color) + ", key " + std::to_string(key) + ")", [=]() {
    MPI_Comm split_comm;
    check_mpi(MPI_Comm_split(comm, color, key, &split_comm), "MPI_Comm_split");
    *group = adopt(split_comm);
    return Posted{};
  })->wait();
  return std::move(*group);
}

}  // namespace tandem::comm
