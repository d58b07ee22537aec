#pragma once
// A pipeline schedule as data: for each pipeline rank, the ordered list of
// actions the executor performs in one training step. Builders produce it, the
// validator and the simulator check it, the executor only executes it.
//
// Stages: with p pipeline ranks and v model chunks per rank there are S = p*v
// global stages, and every microbatch flows forward through stage 0 -> S-1 and
// back. Which (rank, chunk) runs which stage is the schedule's StagePlacement.

#include <string>
#include <tuple>
#include <vector>

#include "parallel/pipeline/schedule/stage_placement.h"

namespace tandem::pipeline {

enum class ActionKind {
  Forward,
  Backward,         // full backward: input and weight gradients
  BackwardInput,    // zero-bubble split: gradient w.r.t. the stage input (critical path)
  BackwardWeight,   // zero-bubble split: gradient w.r.t. the weights (fills bubbles)
  SendActivation,   // to stage + 1, after the Forward that produced it
  RecvActivation,   // from stage - 1, before the Forward that consumes it
  SendGradient,     // to stage - 1, after the Backward/BackwardInput that produced it
  RecvGradient,     // from stage + 1, before the Backward/BackwardInput that consumes it
  ReduceGradients,  // data-parallel all-reduce and tied-embedding sum, once per step, last;
                    // the trainer steps the optimizer after it (clipping needs every gradient)
};

struct Action {
  ActionKind kind = ActionKind::Forward;
  int microbatch = -1;  // -1 for ReduceGradients
  int chunk = 0;        // model chunk on this rank; 0 unless virtual stages
  int peer_stage = -1;  // send/recv only: global stage of the partner

  bool operator==(const Action& other) const {
    return kind == other.kind && microbatch == other.microbatch && chunk == other.chunk &&
           peer_stage == other.peer_stage;
  }
};

// One ordered action list per pipeline rank, and where each (rank, chunk)'s
// stage lies. Indexing and iterating go over the rank lists.
struct Schedule {
  StagePlacement placement;
  std::vector<std::vector<Action>> ranks;

  size_t size() const { return ranks.size(); }
  std::vector<Action>& operator[](size_t rank) { return ranks[rank]; }
  const std::vector<Action>& operator[](size_t rank) const { return ranks[rank]; }
  auto begin() const { return ranks.begin(); }
  auto end() const { return ranks.end(); }
  // The global stage that `action` of `rank` runs (its chunk's stage).
  int stage_of(const Action& action, int rank) const { return placement.stage(rank, action.chunk); }
};

// What a Send or Recv carries — (is gradient, microbatch, from stage, to stage) —
// equal on both ends: a Send and a Recv match exactly when their keys are equal.
using MessageKey = std::tuple<bool, int, int, int>;
// `stage` is the global stage of the rank and chunk that run the send or recv.
MessageKey message_key(const Action& send_or_recv, int stage);

bool is_compute(ActionKind kind);  // Forward, Backward, BackwardInput, BackwardWeight
bool is_send(ActionKind kind);
bool is_recv(ActionKind kind);
std::string to_string(ActionKind kind);  // the enumerator's name

// Grid cell for a compute action: F3, B3, b3 (input grad), w3 (weight grad);
// chunk c > 0 appends ".c" (F3.1).
std::string short_label(const Action& action);
// For messages and traces, e.g. "RecvActivation(microbatch 3, chunk 0, from stage 1)".
std::string describe(const Action& action);

}  // namespace tandem::pipeline
