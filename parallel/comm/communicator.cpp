#include "parallel/comm/communicator.h"

#include "common/activity/activity_log.h"
#include "engine/error.h"
#include "parallel/comm/runtime.h"
#include "parallel/comm/timeout.h"

namespace tandem::comm {

namespace {
// The tag range MPI guarantees on every implementation (MPI_TAG_UB >= 32767).
constexpr int kMaxTag = 32767;

// For `tandem bench`: the bytes a collective puts on the wire, as a ring
// implements it (what NCCL runs and the cluster model assumes): every rank
// sends `share` of the buffer to its successor in the group.
void count_ring_traffic(const Communicator& group, std::size_t count, DType dtype, double share) {
  if (!activity::enabled() || group.size() < 2) return;
  const std::vector<int> members = group.world_ranks();
  const int next = members[(group.rank() + 1) % group.size()];
  activity::add_bytes_sent(next, share * static_cast<double>(count * dtype_size(dtype)));
}

double allreduce_share(int n) { return 2.0 * (n - 1) / n; }
}  // namespace

Communicator::Communicator() : timeout_(default_timeout()) {}

void Communicator::set_timeout(std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) usage_error("set_timeout", "the timeout must be positive");
  timeout_ = timeout;
}

void Communicator::set_compute_stream(void*) {}
void Communicator::set_compute_stream_provider(std::function<void*()>) {}

void Communicator::usage_error(const std::string& what, const std::string& reason) const {
  throw UsageError(process_label() + ", group rank " + std::to_string(rank()) + " of " +
                   std::to_string(size()) + ": " + what + ": " + reason);
}

void Communicator::check_reduction(const char* operation, DType dtype, ReduceOp op) const {
  if (op == ReduceOp::Average && is_integer(dtype)) {
    usage_error(operation, std::string("avg is not defined for ") + dtype_name(dtype) +
                               " (the division would truncate); reduce with sum and divide");
  }
}

void Communicator::check_rank(const std::string& what, const char* role, int rank) const {
  if (rank < 0 || rank >= size()) {
    usage_error(what, std::string(role) + " " + std::to_string(rank) +
                          " is not a rank of this group of " + std::to_string(size()));
  }
}

void Communicator::check_buffer(const std::string& what, const void* data,
                                std::size_t count) const {
  if (data == nullptr && count > 0) usage_error(what, "the buffer is null");
}

void Communicator::allreduce(void* data, std::size_t count, DType dtype, ReduceOp op) {
  check_reduction("allreduce", dtype, op);
  check_buffer(describe("allreduce", count, dtype), data, count);
  if (count == 0) return;
  count_ring_traffic(*this, count, dtype, allreduce_share(size()));
  start_allreduce(data, count, dtype, op, /*overlap=*/false)->wait();
}

std::shared_ptr<Work> Communicator::allreduce_async(void* data, std::size_t count, DType dtype,
                                                    ReduceOp op) {
  check_reduction("allreduce", dtype, op);
  check_buffer(describe("allreduce", count, dtype), data, count);
  if (count == 0) return std::make_shared<CompletedWork>();
  count_ring_traffic(*this, count, dtype, allreduce_share(size()));
  return start_allreduce(data, count, dtype, op, /*overlap=*/true);
}

void Communicator::broadcast(void* data, std::size_t count, DType dtype, int root) {
  const std::string what = describe("broadcast", count, dtype);
  check_rank(what, "root", root);
  check_buffer(what, data, count);
  if (count == 0) return;
  count_ring_traffic(*this, count, dtype, rank() == root ? size() - 1 : 0);
  start_broadcast(data, count, dtype, root)->wait();
}

void Communicator::allgather(const void* send, void* recv, std::size_t count_per_rank,
                             DType dtype) {
  const std::string what = describe("allgather", count_per_rank, dtype);
  check_buffer(what, send, count_per_rank);
  check_buffer(what, recv, count_per_rank);
  if (count_per_rank == 0) return;
  count_ring_traffic(*this, count_per_rank, dtype, size() - 1);
  start_allgather(send, recv, count_per_rank, dtype)->wait();
}

void Communicator::reduce_scatter(const void* send, void* recv, std::size_t count_per_rank,
                                  DType dtype, ReduceOp op) {
  check_reduction("reduce_scatter", dtype, op);
  const std::string what = describe("reduce_scatter", count_per_rank, dtype);
  check_buffer(what, send, count_per_rank);
  check_buffer(what, recv, count_per_rank);
  if (count_per_rank == 0) return;
  count_ring_traffic(*this, count_per_rank, dtype, size() - 1);
  start_reduce_scatter(send, recv, count_per_rank, dtype, op)->wait();
}

void Communicator::barrier() { start_barrier()->wait(); }

std::shared_ptr<Work> Communicator::send_async(const void* data, std::size_t count, DType dtype,
                                               int peer, int tag) {
  return batch_p2p_async(
      {P2POp{P2POp::Kind::Send, const_cast<void*>(data), count, dtype, peer, tag}});
}

std::shared_ptr<Work> Communicator::recv_async(void* data, std::size_t count, DType dtype, int peer,
                                               int tag) {
  return batch_p2p_async({P2POp{P2POp::Kind::Recv, data, count, dtype, peer, tag}});
}

std::shared_ptr<Work> Communicator::batch_p2p_async(const std::vector<P2POp>& ops) {
  std::vector<P2POp> nonempty;
  for (const P2POp& op : ops) {
    const std::string what = describe(op);
    check_rank(what, "peer", op.peer);
    check_buffer(what, op.data, op.count);
    if (op.tag < 0 || op.tag > kMaxTag) {
      usage_error(what, "tags must lie in 0.." + std::to_string(kMaxTag));
    }
    if (op.count > 0) nonempty.push_back(op);
  }
  if (nonempty.empty()) return std::make_shared<CompletedWork>();
  if (activity::enabled()) {
    const std::vector<int> members = world_ranks();
    for (const P2POp& op : nonempty)
      if (op.kind == P2POp::Kind::Send)
        activity::add_bytes_sent(members[op.peer], static_cast<double>(op.count * dtype_size(op.dtype)));
  }
  return start_p2p(nonempty);
}

std::unique_ptr<Communicator> Communicator::split(int color, int key) {
  if (color < 0) {
    usage_error("split", "color " + std::to_string(color) +
                             " is negative; every rank must join a group (color >= 0)");
  }
  std::unique_ptr<Communicator> group = make_split(color, key);
  group->set_timeout(timeout_);
  return group;
}

std::string describe(const P2POp& op) {
  const bool send = op.kind == P2POp::Kind::Send;
  return describe(send ? "send" : "recv", op.count, op.dtype) + (send ? " to" : " from") +
         " rank " + std::to_string(op.peer) + " (tag " + std::to_string(op.tag) + ")";
}

}  // namespace tandem::comm
