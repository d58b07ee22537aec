// GPipe (SMP "simple"): every microbatch forward, then every microbatch
// backward. Simple, but a rank stashes all m microbatches' activations.

#include "parallel/pipeline/schedule/compute_order.h"

namespace tandem::pipeline {

std::vector<Action> gpipe_compute_order(const ScheduleSpec& spec, int rank) {
  std::vector<Action> order;
  for (int mb = 0; mb < spec.microbatches; ++mb) order.push_back(compute_action(ActionKind::Forward, mb));
  for (int mb = 0; mb < spec.microbatches; ++mb) order.push_back(compute_action(ActionKind::Backward, mb));
  return order;
}

}  // namespace tandem::pipeline
