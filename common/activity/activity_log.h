#pragma once
// What one process spent a training step on, for `tandem bench`: spans of
// forward, backward (whole, input half, weight half), communication the main
// thread waited for, the optimizer and the step itself, and the bytes this
// process sent to each peer (by world rank). Off unless enable() was called
// (`tandem train --bench_report`), so a normal run pays one branch per span.
// Process-wide because the executors, the trainer and the communicators each
// see one part of a step and none of them owns the others. Timestamps are
// steady_clock seconds: on Linux every process of one host shares that clock,
// so the ranks' spans line up in one trace. No torch, no MPI.

#include <chrono>
#include <map>
#include <vector>

namespace tandem::activity {

enum class Kind { Forward, Backward, BackwardInput, BackwardWeight, Communication, Optimizer, Step };

// "forward", "backward", "backward_input", "backward_weight", "communication", "optimizer", "step".
const char* kind_name(Kind kind);

using Clock = std::chrono::steady_clock;

struct Span {
  Kind kind;
  double start_s, end_s;  // steady_clock seconds
  int microbatch;         // -1 where it does not apply
};

// One optimizer step: its span and the bytes sent to each world rank during it.
struct StepRecord {
  double start_s, end_s;
  std::map<int, double> bytes_to;
};

void enable();
bool enabled();

void record(Kind kind, Clock::time_point start, Clock::time_point end, int microbatch = -1);
// Bytes this process put on the wire towards `world_rank` (a model of the
// backend's traffic for collectives: see communicator.cpp).
void add_bytes_sent(int world_rank, double bytes);
// Ends a step: its span, and the bytes sent since the previous step ended.
void end_step(Clock::time_point start, Clock::time_point end);

std::vector<Span> spans();
std::vector<StepRecord> steps();
double seconds(Clock::time_point t);

// Records a span of `kind` from construction to destruction when enabled.
class Scope {
 public:
  explicit Scope(Kind kind, int microbatch = -1) : kind_(kind), microbatch_(microbatch), start_(Clock::now()) {}
  ~Scope() {
    if (enabled()) record(kind_, start_, Clock::now(), microbatch_);
  }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  Kind kind_;
  int microbatch_;
  Clock::time_point start_;
};

}  // namespace tandem::activity
