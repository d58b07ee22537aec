#pragma once
// The simulator: runs every rank's list together with the semantics the
// executor has — a Send is a buffered isend and never blocks; a Recv blocks
// until the matching Send has run, and completes p2p time units after it — and
// reports timing, bubble, activation memory, or the deadlock. Where a busy
// sender's messages take longer (Costs::p2p_sender_busy), which sends are
// followed at once by compute, and when their sender next waits, is found
// from the timeline itself: the simulation is rerun with each send's latency
// set by the previous run's timeline until it settles (8 runs at most).

#include <string>
#include <vector>

#include "parallel/pipeline/schedule/action.h"

namespace tandem::pipeline {

// Time of one action on one stage, in any unit (the Chrome trace reads it as µs).
// ReduceGradients costs nothing here: it follows the pipeline and is not part
// of its bubble.
struct StageCosts {
  double forward = 0, backward = 0, backward_input = 0, backward_weight = 0;
};

struct Costs {
  double forward = 1;
  double backward = 2;  // full backward
  double backward_input = 1;
  double backward_weight = 1;
  double p2p = 0;  // from a Send to the earliest completion of its Recv
  // The same when the sender goes on computing at once, where that differs: on
  // a CPU whose cores all compute, a message waits for its sender's core (the
  // communicator's thread runs when the scheduler lets it), while a sender
  // that waits next frees its core for the message at once; a busy sender's
  // message arrives by p2p after the sender next waits, if that is sooner.
  // Below 0: p2p.
  double p2p_sender_busy = -1;
  // Where stages differ: per stage (global stage order), its own forward,
  // backward and split backward in place of the four above. Empty: every
  // stage costs the same.
  std::vector<StageCosts> stages{};
};

// One executed action. The executor records real ones; the simulator predicted ones.
struct TimedAction {
  int rank = 0;
  Action action;
  double start_us = 0;
  double end_us = 0;  // a Recv spans its wait
};

struct SimulationResult {
  std::vector<TimedAction> timeline;  // every executed action, each rank's in its order
  std::vector<double> busy;           // compute time per rank
  std::vector<int> peak_stashed;      // per rank: most forwards whose activations were alive at once
  // Most microbatches in the pipeline at once: a microbatch enters with its
  // first forward on any rank and leaves when its last backward pass ends
  // (SMP's active_microbatches counts the same thing).
  int peak_in_flight = 0;
  double makespan = 0;                // when the last rank finished
  // Idle share of the whole step: 1 - sum(busy) / (ranks * makespan); the same
  // definition as theoretical_bubble (bubble.h).
  double bubble_fraction = 0;
  // Empty when every list ran to its end. Otherwise "deadlock: " and one line
  // per blocked rank naming the action it waits on; the other fields then cover
  // what ran before.
  std::string deadlock;

  bool deadlocked() const { return !deadlock.empty(); }
};

// A Forward stashes its activations; the Backward (or, split, the BackwardWeight)
// of the same stage and microbatch releases them. With virtual stages one
// stashed forward is one chunk's activations.
SimulationResult simulate(const Schedule& schedule, const Costs& costs = Costs{});

}  // namespace tandem::pipeline
