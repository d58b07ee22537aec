#include "parallel/comm/fake/fake_communicator.h"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

#include "engine/error.h"
#include "parallel/comm/half.h"
#include "parallel/comm/runtime.h"
#include "parallel/comm/timeout.h"
#include "parallel/comm/work.h"

namespace tandem::comm::fake {

// ---------------------------------------------------------------------------
// Shared state. One mutex guards everything of a hub (every group, every
// queue); one condition variable wakes waiters. Data moves under the lock, by
// the thread whose call completes an operation, so nothing moves after abort.

struct Completion {
  bool done = false;
  std::exception_ptr error;
};

struct HubState {
  explicit HubState(int n) : size(n), delay(n), failure(n), started(n, 0) {}

  struct Failure {
    int nth;
    std::string reason;
  };

  const int size;
  mutable std::mutex mu;
  std::condition_variable cv;
  bool aborted = false;
  std::string abort_reason;
  std::optional<std::chrono::milliseconds> timeout;
  std::vector<std::chrono::milliseconds> delay;
  std::vector<std::optional<Failure>> failure;
  std::vector<int> started;  // operations started, per world rank

  void finish(Completion& c, std::exception_ptr error = nullptr) {
    if (c.done) return;
    c.done = true;
    c.error = std::move(error);
    cv.notify_all();
  }
};

namespace detail {

enum class Kind { Allreduce, Broadcast, Allgather, ReduceScatter, Barrier, Split };

struct GroupState;

// One collective call of a group, matched by its position in each rank's
// sequence of collectives on the group.
struct Collective {
  explicit Collective(Kind k) : kind(k) {}
  Kind kind;
  std::string signature;  // what every rank must agree on
  std::size_t count = 0;
  DType dtype = DType::UInt8;
  ReduceOp op = ReduceOp::Sum;
  int root = 0;
  std::vector<const void*> send;
  std::vector<void*> recv;
  std::vector<int> color, key;
  std::vector<std::shared_ptr<GroupState>> new_group;  // split: per old rank
  std::vector<int> new_rank;
  std::vector<bool> arrived;
  int arrivals = 0;
  std::shared_ptr<Completion> completion = std::make_shared<Completion>();
};

struct P2PBatch {
  std::size_t remaining = 0;
  std::shared_ptr<Completion> completion = std::make_shared<Completion>();
};

struct Posted {
  P2POp op;
  int owner;  // rank in the group that posted it
  std::shared_ptr<P2PBatch> batch;
};

struct GroupState {
  GroupState(std::shared_ptr<HubState> h, std::vector<int> members)
      : hub(std::move(h)), world_ranks(std::move(members)), next(world_ranks.size(), 0) {}
  int size() const { return static_cast<int>(world_ranks.size()); }

  std::shared_ptr<HubState> hub;
  std::vector<int> world_ranks;
  std::vector<uint64_t> next;  // per rank: position of its next collective
  std::map<uint64_t, std::shared_ptr<Collective>> open;
  // (source, destination, tag) -> posted and unmatched, oldest first.
  using Channel = std::tuple<int, int, int>;
  std::map<Channel, std::deque<Posted>> sends, recvs;
};

class FakeWork final : public Work {
 public:
  FakeWork(std::shared_ptr<HubState> hub, std::shared_ptr<Completion> completion, std::string what,
           std::chrono::milliseconds timeout)
      : hub_(std::move(hub)), completion_(std::move(completion)), what_(std::move(what)), timeout_(timeout) {}

  void wait() override {
    std::unique_lock<std::mutex> lock(hub_->mu);
    const bool ended = hub_->cv.wait_for(lock, timeout_, [&] { return completion_->done || hub_->aborted; });
    if (!ended) throw RuntimeFailure(timeout_message(what_, timeout_));
    if (!completion_->done) throw RuntimeFailure(process_label() + ": " + what_ + " failed: " + hub_->abort_reason);
    if (completion_->error) std::rethrow_exception(completion_->error);
  }

  bool done() override {
    std::lock_guard<std::mutex> lock(hub_->mu);
    return completion_->done || hub_->aborted;
  }

 private:
  std::shared_ptr<HubState> hub_;
  std::shared_ptr<Completion> completion_;
  std::string what_;
  std::chrono::milliseconds timeout_;
};

// --- Reductions over host memory, element by element in rank order ----------

template <class T>
T combine(T a, T b, ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum:
    case ReduceOp::Average: return static_cast<T>(a + b);
    case ReduceOp::Max: return std::max(a, b);
    case ReduceOp::Min: return std::min(a, b);
  }
  return a;
}

template <class T>
T same(T x) {
  return x;
}

// acc (op)= in element by element: each pair widened to Wide, combined and
// narrowed back, as the MPI backend's user ops do for the half types (float
// and back); native types are their own Wide.
template <class T, class Wide, Wide (*Widen)(T), T (*Narrow)(Wide)>
void reduce_elements(void* acc, const void* in, std::size_t n, ReduceOp op, int group_size, bool last) {
  T* a = static_cast<T*>(acc);
  const T* b = static_cast<const T*>(in);
  for (std::size_t i = 0; i < n; ++i) {
    T x;
    std::memcpy(&x, b + i, sizeof x);
    a[i] = Narrow(combine(Widen(a[i]), Widen(x), op));
    if (last && op == ReduceOp::Average) a[i] = Narrow(static_cast<Wide>(Widen(a[i]) / static_cast<Wide>(group_size)));
  }
}

template <class T>
void reduce_native(void* acc, const void* in, std::size_t n, ReduceOp op, int group_size, bool last) {
  reduce_elements<T, T, same<T>, same<T>>(acc, in, n, op, group_size, last);
}

template <float (*ToFloat)(uint16_t), uint16_t (*FromFloat)(float)>
void reduce_half(void* acc, const void* in, std::size_t n, ReduceOp op, int group_size, bool last) {
  reduce_elements<uint16_t, float, ToFloat, FromFloat>(acc, in, n, op, group_size, last);
}

// acc (op)= in; on the last contribution an average divides by the group size.
void reduce_into(void* acc, const void* in, std::size_t n, DType dtype, ReduceOp op, int group_size, bool last) {
  switch (dtype) {
    case DType::Float32: return reduce_native<float>(acc, in, n, op, group_size, last);
    case DType::Float64: return reduce_native<double>(acc, in, n, op, group_size, last);
    case DType::Float16: return reduce_half<fp16_to_float, float_to_fp16>(acc, in, n, op, group_size, last);
    case DType::BFloat16: return reduce_half<bf16_to_float, float_to_bf16>(acc, in, n, op, group_size, last);
    case DType::Int32: return reduce_native<int32_t>(acc, in, n, op, group_size, last);
    case DType::Int64: return reduce_native<int64_t>(acc, in, n, op, group_size, last);
    case DType::UInt8: return reduce_native<uint8_t>(acc, in, n, op, group_size, last);
  }
}

// The reduction of `count` elements at element offset `offset` of every rank's input.
std::vector<unsigned char> reduce_all(const Collective& c, std::size_t offset, int group_size) {
  const std::size_t bytes = c.count * dtype_size(c.dtype);
  const std::size_t at = offset * dtype_size(c.dtype);
  std::vector<unsigned char> acc(bytes);
  std::memcpy(acc.data(), static_cast<const unsigned char*>(c.send[0]) + at, bytes);
  if (group_size == 1 && c.op == ReduceOp::Average) return acc;  // x / 1
  for (int r = 1; r < group_size; ++r)
    reduce_into(acc.data(), static_cast<const unsigned char*>(c.send[r]) + at, c.count, c.dtype, c.op, group_size,
                r + 1 == group_size);
  return acc;
}

class FakeCommunicator final : public Communicator {
 public:
  FakeCommunicator(std::shared_ptr<GroupState> group, int rank) : group_(std::move(group)), rank_(rank) {}

  int rank() const override { return rank_; }
  int size() const override { return group_->size(); }
  std::vector<int> world_ranks() const override { return group_->world_ranks; }

 protected:
  std::shared_ptr<Work> start_allreduce(void* data, std::size_t count, DType dtype, ReduceOp op, bool) override {
    Collective c(Kind::Allreduce);
    c.count = count;
    c.dtype = dtype;
    c.op = op;
    c.signature = describe("allreduce", count, dtype) + " " + reduce_op_name(op);
    return collective(describe("allreduce", count, dtype), std::move(c), data, data);
  }

  std::shared_ptr<Work> start_broadcast(void* data, std::size_t count, DType dtype, int root) override {
    Collective c(Kind::Broadcast);
    c.count = count;
    c.dtype = dtype;
    c.root = root;
    const std::string what = describe("broadcast", count, dtype) + " from rank " + std::to_string(root);
    c.signature = what;
    return collective(what, std::move(c), data, data);
  }

  std::shared_ptr<Work> start_allgather(const void* send, void* recv, std::size_t count_per_rank,
                                        DType dtype) override {
    Collective c(Kind::Allgather);
    c.count = count_per_rank;
    c.dtype = dtype;
    c.signature = describe("allgather", count_per_rank, dtype);
    return collective(c.signature, std::move(c), send, recv);
  }

  std::shared_ptr<Work> start_reduce_scatter(const void* send, void* recv, std::size_t count_per_rank, DType dtype,
                                             ReduceOp op) override {
    Collective c(Kind::ReduceScatter);
    c.count = count_per_rank;
    c.dtype = dtype;
    c.op = op;
    c.signature = describe("reduce_scatter", count_per_rank, dtype) + " " + reduce_op_name(op);
    return collective(describe("reduce_scatter", count_per_rank, dtype), std::move(c), send, recv);
  }

  std::shared_ptr<Work> start_barrier() override {
    Collective c(Kind::Barrier);
    c.signature = "barrier";
    return collective("barrier", std::move(c), nullptr, nullptr);
  }

  std::shared_ptr<Work> start_p2p(const std::vector<P2POp>& ops) override {
    std::string what;
    for (const P2POp& op : ops) what += (what.empty() ? "" : " + ") + describe(op);
    HubState& hub = *group_->hub;
    pause_if_slow();
    std::lock_guard<std::mutex> lock(hub.mu);
    auto batch = std::make_shared<P2PBatch>();
    if (auto refused = refuse(what)) {
      hub.finish(*batch->completion, refused);
      return work(batch->completion, what);
    }
    batch->remaining = ops.size();
    for (const P2POp& op : ops) {
      const bool send = op.kind == P2POp::Kind::Send;
      const GroupState::Channel channel = send ? GroupState::Channel{rank_, op.peer, op.tag}
                                               : GroupState::Channel{op.peer, rank_, op.tag};
      auto& mine = send ? group_->sends[channel] : group_->recvs[channel];
      auto& theirs = send ? group_->recvs[channel] : group_->sends[channel];
      Posted posted{op, rank_, batch};
      if (theirs.empty()) {
        mine.push_back(std::move(posted));
        continue;
      }
      Posted other = std::move(theirs.front());
      theirs.pop_front();
      if (send) deliver(posted, other);
      else deliver(other, posted);
    }
    return work(batch->completion, what);
  }

  std::unique_ptr<Communicator> make_split(int color, int key) override {
    Collective c(Kind::Split);
    c.signature = "split";
    c.color.assign(size(), 0);
    c.key.assign(size(), 0);
    c.color[rank_] = color;
    c.key[rank_] = key;
    std::shared_ptr<Collective> joined;
    const std::string what = "split (color " + std::to_string(color) + ", key " + std::to_string(key) + ")";
    collective(what, std::move(c), nullptr, nullptr, &joined)->wait();
    std::lock_guard<std::mutex> lock(group_->hub->mu);
    return std::make_unique<FakeCommunicator>(joined->new_group[rank_], joined->new_rank[rank_]);
  }

 private:
  int world_rank() const { return group_->world_ranks[rank_]; }

  std::shared_ptr<Work> work(std::shared_ptr<Completion> completion, const std::string& what) const {
    return std::make_shared<FakeWork>(group_->hub, std::move(completion), what, timeout());
  }

  void pause_if_slow() const {
    const auto delay = [&] {
      std::lock_guard<std::mutex> lock(group_->hub->mu);
      return group_->hub->delay[world_rank()];
    }();
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
  }

  // Under the lock: counts the operation; the error it fails with, if it must
  // (the job was aborted, or a failure was injected here).
  std::exception_ptr refuse(const std::string& what) {
    HubState& hub = *group_->hub;
    if (hub.aborted)
      return std::make_exception_ptr(RuntimeFailure(process_label() + ": " + what + " failed: " + hub.abort_reason));
    const int nth = ++hub.started[world_rank()];
    const auto& failure = hub.failure[world_rank()];
    if (failure && failure->nth == nth)
      return std::make_exception_ptr(RuntimeFailure(process_label() + ": " + what + " failed: " + failure->reason +
                                                    " (fake rank " + std::to_string(world_rank()) + ", operation " +
                                                    std::to_string(nth) + ")"));
    return nullptr;
  }

  // Under the lock: a send meets a receive.
  void deliver(Posted& send, Posted& recv) {
    HubState& hub = *group_->hub;
    const std::size_t sent = send.op.count * dtype_size(send.op.dtype);
    const std::size_t room = recv.op.count * dtype_size(recv.op.dtype);
    if (send.op.dtype != recv.op.dtype || sent > room) {
      const auto error = std::make_exception_ptr(RuntimeFailure(
          process_label() + ": " + describe(send.op) + " from rank " + std::to_string(send.owner) + " met a " +
          describe(recv.op) + " on rank " + std::to_string(recv.owner) + ": the message does not fit"));
      hub.finish(*send.batch->completion, error);
      hub.finish(*recv.batch->completion, error);
      return;
    }
    std::memcpy(recv.op.data, send.op.data, sent);
    for (P2PBatch* b : {send.batch.get(), recv.batch.get()})
      if (--b->remaining == 0) hub.finish(*b->completion);
  }

  std::shared_ptr<Work> collective(const std::string& what, Collective mine, const void* send, void* recv,
                                   std::shared_ptr<Collective>* joined = nullptr) {
    HubState& hub = *group_->hub;
    pause_if_slow();
    std::lock_guard<std::mutex> lock(hub.mu);
    if (auto refused = refuse(what)) {
      auto failed = std::make_shared<Completion>();
      hub.finish(*failed, refused);
      return work(failed, what);
    }
    const int n = size();
    const uint64_t position = group_->next[rank_]++;
    auto& slot = group_->open[position];
    if (!slot) {
      slot = std::make_shared<Collective>(std::move(mine));
      slot->send.assign(n, nullptr);
      slot->recv.assign(n, nullptr);
      slot->arrived.assign(n, false);
    } else if (slot->signature != mine.signature) {
      int first = 0;
      while (!slot->arrived[first]) ++first;
      hub.finish(*slot->completion,
                 std::make_exception_ptr(RuntimeFailure(
                     process_label() + ": " + what + " failed: ranks disagree on collective " +
                     std::to_string(position) + " of their group: rank " + std::to_string(first) + " called " +
                     slot->signature + ", rank " + std::to_string(rank_) + " called " + mine.signature)));
    } else if (mine.kind == Kind::Split) {
      slot->color[rank_] = mine.color[rank_];
      slot->key[rank_] = mine.key[rank_];
    }
    std::shared_ptr<Collective> c = slot;
    c->send[rank_] = send;
    c->recv[rank_] = recv;
    c->arrived[rank_] = true;
    if (joined) *joined = c;
    if (++c->arrivals == n) {
      group_->open.erase(position);
      if (!c->completion->done) {
        try {
          complete(*c);
          hub.finish(*c->completion);
        } catch (...) {
          hub.finish(*c->completion, std::current_exception());
        }
      }
    }
    return work(c->completion, what);
  }

  // Under the lock, by the last rank to arrive.
  void complete(Collective& c) {
    const int n = size();
    const std::size_t elem = dtype_size(c.dtype);
    const std::size_t bytes = c.count * elem;
    switch (c.kind) {
      case Kind::Barrier: return;
      case Kind::Allreduce: {
        const auto result = reduce_all(c, 0, n);
        for (int r = 0; r < n; ++r) std::memcpy(c.recv[r], result.data(), bytes);
        return;
      }
      case Kind::Broadcast: {
        const std::vector<unsigned char> value(static_cast<const unsigned char*>(c.send[c.root]),
                                               static_cast<const unsigned char*>(c.send[c.root]) + bytes);
        for (int r = 0; r < n; ++r) std::memcpy(c.recv[r], value.data(), bytes);
        return;
      }
      case Kind::Allgather: {
        // Gathered first: a rank's input may be its own block of its output.
        std::vector<unsigned char> all(bytes * n);
        for (int r = 0; r < n; ++r) std::memcpy(all.data() + r * bytes, c.send[r], bytes);
        for (int r = 0; r < n; ++r) std::memcpy(c.recv[r], all.data(), all.size());
        return;
      }
      case Kind::ReduceScatter: {
        for (int r = 0; r < n; ++r) {
          const auto block = reduce_all(c, static_cast<std::size_t>(r) * c.count, n);
          std::memcpy(c.recv[r], block.data(), bytes);
        }
        return;
      }
      case Kind::Split: {
        // MPI_Comm_split: one group per color, ordered by key, then by old rank.
        c.new_group.assign(n, nullptr);
        c.new_rank.assign(n, 0);
        std::map<int, std::vector<int>> by_color;
        for (int r = 0; r < n; ++r) by_color[c.color[r]].push_back(r);
        for (auto& [color, members] : by_color) {
          std::stable_sort(members.begin(), members.end(), [&](int a, int b) { return c.key[a] < c.key[b]; });
          std::vector<int> world;
          for (int r : members) world.push_back(group_->world_ranks[r]);
          auto group = std::make_shared<GroupState>(group_->hub, std::move(world));
          for (std::size_t i = 0; i < members.size(); ++i) {
            c.new_group[members[i]] = group;
            c.new_rank[members[i]] = static_cast<int>(i);
          }
        }
        return;
      }
    }
  }

  std::shared_ptr<GroupState> group_;
  int rank_;
};

}  // namespace detail

using detail::FakeCommunicator;
using detail::GroupState;

// ---------------------------------------------------------------------------

Hub::Hub(int size) {
  if (size < 1) throw UsageError("fake hub: the group needs at least one rank, got " + std::to_string(size));
  state_ = std::make_shared<HubState>(size);
  std::vector<int> ranks(size);
  std::iota(ranks.begin(), ranks.end(), 0);
  world_ = std::make_shared<GroupState>(state_, std::move(ranks));
}

Hub::~Hub() = default;

int Hub::size() const { return state_->size; }

std::unique_ptr<Communicator> Hub::world(int rank) {
  if (rank < 0 || rank >= state_->size)
    throw UsageError("fake hub: rank " + std::to_string(rank) + " is not a rank of " + std::to_string(state_->size));
  auto communicator = std::make_unique<FakeCommunicator>(world_, rank);
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->timeout) communicator->set_timeout(*state_->timeout);
  return communicator;
}

void Hub::set_timeout(std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) throw UsageError("fake hub: the timeout must be positive");
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->timeout = timeout;
}

void Hub::delay_operations(int rank, std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->delay.at(rank) = delay;
}

void Hub::fail_operation(int rank, int nth, std::string reason) {
  if (nth < 1) throw UsageError("fake hub: operations are counted from 1, got " + std::to_string(nth));
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->failure.at(rank) = HubState::Failure{nth, std::move(reason)};
}

int Hub::operations_started(int rank) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->started.at(rank);
}

void Hub::abort(const std::string& reason) {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->aborted) return;
  state_->aborted = true;
  state_->abort_reason = reason;
  state_->cv.notify_all();
}

bool Hub::aborted() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->aborted;
}

}  // namespace tandem::comm::fake
