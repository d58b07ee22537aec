#include "parallel/comm/mpi_thread.h"

#include "engine/error.h"
#include "parallel/comm/runtime.h"

namespace tandem::comm {

namespace {

using Clock = std::chrono::steady_clock;

// Polling policy while requests are in flight: while a caller is blocked on
// one of them, test back to back (the caller is not computing, so the core is
// free, and every microsecond of polling interval would be added to its
// latency). Otherwise spin (yielding) for a while after the last start or
// completion, since a peer is usually close behind; then test at intervals,
// longer once the wait is clearly long (a rank still in backward, with a
// bucket's allreduce in flight), so polling costs a few percent of one core
// and leaves the rest to compute. A new submission or a new waiter ends any
// sleep at once.
constexpr auto kSpinWindow = std::chrono::milliseconds(1);
constexpr auto kShortWait = std::chrono::milliseconds(10);
constexpr auto kShortPollInterval = std::chrono::microseconds(100);
constexpr auto kLongPollInterval = std::chrono::microseconds(500);
// Both sides of the hand-off between a caller and this thread spin this long
// before sleeping: waking a sleeping thread costs several microseconds, as much
// as a small allreduce (measured: 10 us -> 6 us per 8-byte allreduce at 2 ranks).
constexpr auto kHandoffSpin = std::chrono::microseconds(50);

class MpiWork final : public Work {
 public:
  MpiWork(MpiThread* thread, std::shared_future<Clock::time_point> done, std::string what,
          std::chrono::milliseconds timeout)
      : thread_(thread), done_(std::move(done)), what_(std::move(what)), timeout_(timeout) {}

  void wait() override {
    if (!done()) {
      thread_->begin_wait();
      const auto spin_until = Clock::now() + kHandoffSpin;
      while (!done() && Clock::now() < spin_until) std::this_thread::yield();
      const bool ready = done_.wait_for(timeout_) == std::future_status::ready;
      thread_->end_wait();
      if (!ready) throw RuntimeFailure(timeout_message(what_, timeout_));
    }
    done_.get();  // rethrows the operation's failure
  }

  bool done() override {
    return done_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }

  std::optional<Clock::time_point> completed_at() override {
    if (!done()) return std::nullopt;
    try {
      return done_.get();
    } catch (...) {
      return std::nullopt;  // a failed operation has no completion; wait() reports it
    }
  }

 private:
  MpiThread* thread_;
  std::shared_future<Clock::time_point> done_;
  std::string what_;
  std::chrono::milliseconds timeout_;
};

MpiThread* g_thread = nullptr;

}  // namespace

struct MpiThread::Operation {
  std::string what;
  Start start;
  std::promise<Clock::time_point> done;  // the completion time
  Posted posted;
  bool finished = false;

  // Errors from MPI carry the call; this adds who failed doing what.
  void fail(const std::exception& e) {
    done.set_exception(std::make_exception_ptr(
        RuntimeFailure(process_label() + ": " + what + " failed: " + e.what())));
  }
};

MpiThread::MpiThread() : thread_([this] { run(); }) {}

std::shared_ptr<Work> MpiThread::submit(std::string what, std::chrono::milliseconds timeout,
                                        Start start) {
  auto op = std::make_unique<Operation>();
  op->what = what;
  op->start = std::move(start);
  std::shared_future<Clock::time_point> done = op->done.get_future().share();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) throw UsageError(what + ": tandem::comm::finalize() has already run");
    queue_.push_back(std::move(op));
  }
  wake_.notify_one();
  return std::make_shared<MpiWork>(this, std::move(done), std::move(what), timeout);
}

void MpiThread::begin_wait() {
  {
    // Under the lock, so the thread cannot check for waiters and then sleep
    // past this notification.
    std::lock_guard<std::mutex> lock(mu_);
    waiters_.fetch_add(1);
  }
  wake_.notify_one();
}

void MpiThread::end_wait() { waiters_.fetch_sub(1); }

bool MpiThread::stop(std::function<void()> last, std::chrono::milliseconds timeout) {
  std::future<void> stopped = stopped_.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    last_ = std::move(last);
  }
  wake_.notify_one();
  if (stopped.wait_for(timeout) != std::future_status::ready) return false;
  thread_.join();
  stopped.get();  // rethrows a failure of `last`
  return true;
}

std::string MpiThread::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string list = starting_;
  auto add = [&list](const std::string& what) { list += (list.empty() ? "" : "; ") + what; };
  for (const auto& op : running_) add(op->what);
  for (const auto& op : queue_) add(op->what);
  return list.empty() ? "nothing" : list;
}

void MpiThread::run() {
  Clock::time_point last_event = Clock::now();
  for (;;) {
    std::deque<std::unique_ptr<Operation>> submitted;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (running_.empty()) {
        const auto spin_until = Clock::now() + kHandoffSpin;
        while (queue_.empty() && !stopping_ && Clock::now() < spin_until) {
          lock.unlock();
          std::this_thread::yield();
          lock.lock();
        }
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      } else if (queue_.empty() && waiters_.load() == 0) {
        const auto idle = Clock::now() - last_event;
        if (idle > kSpinWindow) {
          wake_.wait_for(lock, idle > kShortWait ? kLongPollInterval : kShortPollInterval,
                         [this] { return !queue_.empty() || waiters_.load() > 0; });
        }
      }
      if (stopping_ && queue_.empty() && running_.empty()) break;
      submitted.swap(queue_);
    }
    if (!submitted.empty()) last_event = Clock::now();
    for (auto& op : submitted) start(std::move(op));
    if (poll()) {
      last_event = Clock::now();
    } else {
      std::this_thread::yield();
    }
  }
  try {
    if (last_) last_();
    stopped_.set_value();
  } catch (...) {
    stopped_.set_exception(std::current_exception());
  }
}

void MpiThread::start(std::unique_ptr<Operation> op) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    starting_ = op->what;
  }
  try {
    op->posted = op->start();
    if (op->posted.requests.empty()) {
      if (op->posted.finish) op->posted.finish();
      op->done.set_value(Clock::now());
      op.reset();
    }
  } catch (const std::exception& e) {
    op->fail(e);
    op.reset();
  }
  std::lock_guard<std::mutex> lock(mu_);
  starting_.clear();
  if (op) running_.push_back(std::move(op));
}

// Tests every operation in flight once; true when at least one completed.
bool MpiThread::poll() {
  // running_ changes only on this thread, so it is walked without the lock; the
  // lock guards the removal against pending() reading it.
  bool any = false;
  for (auto& op : running_) {
    int complete = 0;
    try {
      check_mpi(MPI_Testall(int(op->posted.requests.size()), op->posted.requests.data(), &complete,
                            MPI_STATUSES_IGNORE),
                "MPI_Testall");
      if (!complete) continue;
      if (op->posted.finish) op->posted.finish();
      op->done.set_value(Clock::now());
    } catch (const std::exception& e) {
      op->fail(e);
    }
    op->finished = true;
    any = true;
  }
  if (!any) return false;
  // Destroyed after the lock is released: an operation may own a communicator,
  // whose destructor submits (and so takes the lock).
  std::vector<std::unique_ptr<Operation>> finished;
  std::lock_guard<std::mutex> lock(mu_);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < running_.size(); ++i) {
    if (running_[i]->finished) {
      finished.push_back(std::move(running_[i]));
    } else if (kept != i) {
      running_[kept++] = std::move(running_[i]);
    } else {
      ++kept;
    }
  }
  running_.resize(kept);
  return true;
}

MpiThread& mpi_thread() {
  if (g_thread == nullptr) {
    throw UsageError(
        "the communication layer is not initialised: call tandem::comm::init() first");
  }
  return *g_thread;
}

MpiThread& start_mpi_thread() {
  if (g_thread == nullptr) g_thread = new MpiThread();
  return *g_thread;
}

bool mpi_thread_started() { return g_thread != nullptr; }

void check_mpi(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char message[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(rc, message, &length) != MPI_SUCCESS) length = 0;
  throw RuntimeFailure(std::string(call) + ": " +
                       (length > 0 ? std::string(message, length) : "error " + std::to_string(rc)));
}

}  // namespace tandem::comm
