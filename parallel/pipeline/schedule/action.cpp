#include "parallel/pipeline/schedule/action.h"

namespace tandem::pipeline {

MessageKey message_key(const Action& send_or_recv, int stage) {
  const Action& a = send_or_recv;
  const bool gradient = a.kind == ActionKind::SendGradient || a.kind == ActionKind::RecvGradient;
  return is_send(a.kind) ? MessageKey{gradient, a.microbatch, stage, a.peer_stage}
                         : MessageKey{gradient, a.microbatch, a.peer_stage, stage};
}

bool is_compute(ActionKind kind) {
  return kind == ActionKind::Forward || kind == ActionKind::Backward || kind == ActionKind::BackwardInput ||
         kind == ActionKind::BackwardWeight;
}

bool is_send(ActionKind kind) { return kind == ActionKind::SendActivation || kind == ActionKind::SendGradient; }

bool is_recv(ActionKind kind) { return kind == ActionKind::RecvActivation || kind == ActionKind::RecvGradient; }

std::string to_string(ActionKind kind) {
  switch (kind) {
    case ActionKind::Forward:
      return "Forward";
    case ActionKind::Backward:
      return "Backward";
    case ActionKind::BackwardInput:
      return "BackwardInput";
    case ActionKind::BackwardWeight:
      return "BackwardWeight";
    case ActionKind::SendActivation:
      return "SendActivation";
    case ActionKind::RecvActivation:
      return "RecvActivation";
    case ActionKind::SendGradient:
      return "SendGradient";
    case ActionKind::RecvGradient:
      return "RecvGradient";
    case ActionKind::ReduceGradients:
      return "ReduceGradients";
  }
  return "ActionKind(" + std::to_string(static_cast<int>(kind)) + ")";
}

std::string short_label(const Action& action) {
  std::string letter;
  switch (action.kind) {
    case ActionKind::Forward:
      letter = "F";
      break;
    case ActionKind::Backward:
      letter = "B";
      break;
    case ActionKind::BackwardInput:
      letter = "b";
      break;
    case ActionKind::BackwardWeight:
      letter = "w";
      break;
    default:
      return to_string(action.kind);
  }
  std::string label = letter + std::to_string(action.microbatch);
  if (action.chunk > 0) label += "." + std::to_string(action.chunk);
  return label;
}

std::string describe(const Action& action) {
  if (action.kind == ActionKind::ReduceGradients) return to_string(action.kind);
  std::string text = to_string(action.kind) + "(microbatch " + std::to_string(action.microbatch) + ", chunk " +
                     std::to_string(action.chunk);
  if (is_send(action.kind)) text += ", to stage " + std::to_string(action.peer_stage);
  if (is_recv(action.kind)) text += ", from stage " + std::to_string(action.peer_stage);
  return text + ")";
}

}  // namespace tandem::pipeline
