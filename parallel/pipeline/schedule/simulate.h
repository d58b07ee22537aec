#pragma once
// The simulator: runs every rank's list together with the semantics the
// executor has — a Send is a buffered isend and never blocks; a Recv blocks
// until the matching Send has run, and completes p2p time units after it — and
// reports timing, bubble, activation memory, or the deadlock. Two costs
// depend on the timeline itself: a busy sender's message latency
// (Costs::p2p_sender_busy: which sends are followed at once by compute, and
// when their sender next waits) and the slowdown of ranks that share cores
// (Costs::sharing: which ranks compute during each action). The simulation
// is rerun with both set from the previous run's timeline until they settle
// (12 runs at most).

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

// Ranks that compute on a CPU's cores, each pinned to one: ranks on one core
// take turns, and every core computes slower while others compute too (they
// share memory bandwidth and caches). A compute action is scaled by the mean,
// over its span, of the ranks computing on its core times the slowdown at the
// cores computing then.
struct CoreSharing {
  // Per simulated rank, its core.
  std::vector<int> core_of_rank;
  // Per core, the simulated ranks whose work runs there, once per copy: a
  // data-parallel job runs one copy of the pipeline per replica, in step, so
  // rank 0 appears twice on a core holding both replicas' first stage.
  std::vector<std::vector<int>> ranks_on_core;
  // Entry k-1: how much slower a core computes while k cores compute (entry
  // 0 is 1); beyond the last entry, the last.
  std::vector<double> slowdown_with_busy_cores;

  bool empty() const { return core_of_rank.empty(); }
};

// Entry busy_cores-1 of a slowdown_with_busy_cores table, the last beyond
// it; 1 for an empty table or no busy core.
double slowdown_at_busy_cores(const std::vector<double>& table, int busy_cores);

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
  // Ranks pinned to a CPU's cores (CoreSharing); empty: every rank computes
  // at its cost whatever the others do.
  CoreSharing sharing{};
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
