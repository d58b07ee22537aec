// Sends and receives around the compute order. A Recv sits right before the
// compute that consumes it and a Send right after the compute that produces it:
// with buffered sends, a schedule then deadlocks only if its compute order does,
// which the simulator checks. Two stages on one rank (the V's turn) exchange
// nothing: the executor hands the tensor over within the rank, and the order of
// the rank's own list already puts the producer first (the validator checks it).

#include "parallel/pipeline/schedule/compute_order.h"

namespace tandem::pipeline {

std::vector<Action> add_communication(const std::vector<Action>& compute_order, const StagePlacement& placement,
                                      int rank) {
  const int last_stage = placement.last_stage();
  std::vector<Action> actions;
  for (const Action& action : compute_order) {
    const int stage = placement.stage(rank, action.chunk);
    // A message to or from `peer_stage`, if it lives on another rank.
    auto message = [&](ActionKind kind, int peer_stage) {
      if (!placement.same_rank(stage, peer_stage)) actions.push_back(Action{kind, action.microbatch, action.chunk, peer_stage});
    };
    switch (action.kind) {
      case ActionKind::Forward:
        if (stage > 0) message(ActionKind::RecvActivation, stage - 1);
        actions.push_back(action);
        if (stage < last_stage) message(ActionKind::SendActivation, stage + 1);
        break;
      case ActionKind::Backward:
      case ActionKind::BackwardInput:
        if (stage < last_stage) message(ActionKind::RecvGradient, stage + 1);
        actions.push_back(action);
        if (stage > 0) message(ActionKind::SendGradient, stage - 1);
        break;
      default:
        actions.push_back(action);
    }
  }
  actions.push_back(Action{ActionKind::ReduceGradients, -1, 0, -1});
  return actions;
}

}  // namespace tandem::pipeline
