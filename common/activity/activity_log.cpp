// The process-wide activity log (activity_log.h). The MPI thread and the main
// thread both add to it, hence the mutex; it is taken only when enabled.
#include "common/activity/activity_log.h"

#include <atomic>
#include <mutex>

namespace tandem::activity {
namespace {

struct Log {
  std::mutex mutex;
  std::vector<Span> spans;
  std::vector<StepRecord> steps;
  std::map<int, double> bytes_since_step;
};

Log& log() {
  static Log instance;
  return instance;
}

std::atomic<bool> on{false};

}  // namespace

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::Forward: return "forward";
    case Kind::Backward: return "backward";
    case Kind::BackwardInput: return "backward_input";
    case Kind::BackwardWeight: return "backward_weight";
    case Kind::Communication: return "communication";
    case Kind::Optimizer: return "optimizer";
    case Kind::Step: return "step";
  }
  return "unknown";
}

void enable() { on = true; }
bool enabled() { return on.load(std::memory_order_relaxed); }

double seconds(Clock::time_point t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

void record(Kind kind, Clock::time_point start, Clock::time_point end, int microbatch) {
  if (!enabled()) return;
  std::lock_guard<std::mutex> lock(log().mutex);
  log().spans.push_back({kind, seconds(start), seconds(end), microbatch});
}

void add_bytes_sent(int world_rank, double bytes) {
  if (!enabled() || bytes <= 0) return;
  std::lock_guard<std::mutex> lock(log().mutex);
  log().bytes_since_step[world_rank] += bytes;
}

void end_step(Clock::time_point start, Clock::time_point end) {
  if (!enabled()) return;
  std::lock_guard<std::mutex> lock(log().mutex);
  log().spans.push_back({Kind::Step, seconds(start), seconds(end), -1});
  log().steps.push_back({seconds(start), seconds(end), std::move(log().bytes_since_step)});
  log().bytes_since_step.clear();
}

std::vector<Span> spans() {
  std::lock_guard<std::mutex> lock(log().mutex);
  return log().spans;
}

std::vector<StepRecord> steps() {
  std::lock_guard<std::mutex> lock(log().mutex);
  return log().steps;
}

}  // namespace tandem::activity
