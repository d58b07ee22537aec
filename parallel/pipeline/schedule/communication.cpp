// Sends and receives around the compute order. A Recv sits right before the
// compute that consumes it and a Send right after the compute that produces it:
// with buffered sends, a schedule then deadlocks only if its compute order does,
// which the simulator checks.

#include "parallel/pipeline/schedule/compute_order.h"

namespace tandem::pipeline {

std::vector<Action> add_communication(const std::vector<Action>& compute_order, const ScheduleSpec& spec, int rank) {
  const int p = spec.pp_size;
  const int last_stage = p * spec.virtual_stages - 1;
  std::vector<Action> actions;
  for (const Action& action : compute_order) {
    const int stage = global_stage(action.chunk, rank, p);
    auto message = [&](ActionKind kind, int peer_stage) {
      return Action{kind, action.microbatch, action.chunk, peer_stage};
    };
    switch (action.kind) {
      case ActionKind::Forward:
        if (stage > 0) actions.push_back(message(ActionKind::RecvActivation, stage - 1));
        actions.push_back(action);
        if (stage < last_stage) actions.push_back(message(ActionKind::SendActivation, stage + 1));
        break;
      case ActionKind::Backward:
      case ActionKind::BackwardInput:
        if (stage < last_stage) actions.push_back(message(ActionKind::RecvGradient, stage + 1));
        actions.push_back(action);
        if (stage > 0) actions.push_back(message(ActionKind::SendGradient, stage - 1));
        break;
      default:
        actions.push_back(action);
    }
  }
  actions.push_back(Action{ActionKind::ReduceGradients, -1, 0, -1});
  return actions;
}

}  // namespace tandem::pipeline
