// 1F1B / PipeDream-flush (SMP "interleaved": backward runs as soon as it can).
// Rank r runs min(p - r - 1, m) warm-up forwards — exactly enough to keep the
// ranks behind it busy until the first gradient comes back — then alternates
// one forward and one backward, then drains the remaining backwards. Same bubble
// as GPipe, but rank r stashes at most min(p - r, m) microbatches instead of m.

#include <algorithm>

#include "parallel/pipeline/schedule/compute_order.h"

namespace tandem::pipeline {

std::vector<Action> one_f_one_b_compute_order(const ScheduleSpec& spec, int rank) {
  const int p = spec.pp_size;
  const int m = spec.microbatches;
  const int warmup = std::min(p - rank - 1, m);
  std::vector<Action> order;
  for (int mb = 0; mb < warmup; ++mb) order.push_back(compute_action(ActionKind::Forward, mb));
  for (int i = 0; i < m - warmup; ++i) {
    order.push_back(compute_action(ActionKind::Forward, warmup + i));
    order.push_back(compute_action(ActionKind::Backward, i));
  }
  for (int mb = m - warmup; mb < m; ++mb) order.push_back(compute_action(ActionKind::Backward, mb));
  return order;
}

}  // namespace tandem::pipeline
