// ZB-H1 (Qi et al., "Zero Bubble Pipeline Parallelism", ICLR 2024, schedule H1).
// The backward is split into BackwardInput (b: gradient for the previous stage,
// on the critical path) and BackwardWeight (w: only this stage needs it, so it
// can wait). The skeleton is 1F1B with b in place of the backward: p - r
// forwards, then b / F alternating, then the remaining b. Rank r holds back its
// w by r positions; those deferred w then fill the cool-down, where 1F1B's rank r
// would wait for gradients. Deferring w keeps r extra activations alive on rank r,
// so every rank peaks at p stashed microbatches — the peak of 1F1B's rank 0.
// With F = b = w the bubble is (p - 1) time units per rank, (p - 1)/(3m) of
// the ideal time, for m >= p.

#include <algorithm>

#include "parallel/pipeline/schedule/compute_order.h"

namespace tandem::pipeline {

std::vector<Action> zero_bubble_h1_compute_order(const ScheduleSpec& spec, int rank) {
  const int p = spec.pp_size;
  const int m = spec.microbatches;
  std::vector<Action> order;
  int next_forward = std::min(p - rank, m);
  for (int mb = 0; mb < next_forward; ++mb) order.push_back(compute_action(ActionKind::Forward, mb));
  int next_weight = 0;
  for (int mb = 0; mb < m; ++mb) {
    order.push_back(compute_action(ActionKind::BackwardInput, mb));
    if (mb >= rank) order.push_back(compute_action(ActionKind::BackwardWeight, next_weight++));
    if (next_forward < m) order.push_back(compute_action(ActionKind::Forward, next_forward++));
  }
  while (next_weight < m) order.push_back(compute_action(ActionKind::BackwardWeight, next_weight++));
  return order;
}

}  // namespace tandem::pipeline
