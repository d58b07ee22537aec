// The V-shaped zero-bubble schedule (Qi et al., "Zero Bubble Pipeline
// Parallelism", ICLR 2024, §6 "ZB-V"), in the compute order of PyTorch 2.11's
// ScheduleZBVZeroBubble._calculate_single_rank_operations.
//
// Two chunks per rank in the V placement: chunk 0 of rank r is stage r, chunk 1
// is stage 2p-1-r, so a microbatch runs down the ranks and back up and the last
// stage sits on rank 0 beside the first. Rank r:
//   warm-up   2(p-r)-1 forwards of chunk 0; r pairs (F chunk 1, F chunk 0);
//             p-r triples (F, b, w) of chunk 1
//   steady    (F chunk 0 while any are left) b w of chunk 0, F b w of chunk 1,
//             until both chunks have run every forward
//   cool-down r pairs (b chunk 0, b chunk 1); p-r pairs (b, w) of chunk 0;
//             then the weight passes left, chunk 1's first
// As PyTorch does, the order is written for max(m, 2p-1) microbatches and the
// passes of microbatches >= m are dropped, so fewer microbatches than the V's
// depth still run. With F = b = w, rank r peaks at 2p activations of one
// chunk (one stage), the activation memory of 1F1B's rank 0 over p stages.

#include <algorithm>
#include <string>

#include "engine/error.h"
#include "parallel/pipeline/schedule/compute_order.h"

namespace tandem::pipeline {

void check_zero_bubble_v(const ScheduleSpec& spec) {
  if (spec.virtual_stages != 2) {
    throw UsageError("virtual_stages=" + std::to_string(spec.virtual_stages) +
                     ": pipeline=zb_v runs exactly two model chunks per rank (virtual_stages=2)");
  }
}

std::vector<Action> zero_bubble_v_compute_order(const ScheduleSpec& spec, int rank) {
  const int p = spec.pp_size;
  const int m = spec.microbatches;
  const int n = std::max(2 * p - 1, m);  // microbatches the order is written for
  std::vector<Action> order;
  int f0 = 0, f1 = 0, b0 = 0, b1 = 0;  // passes issued per chunk
  auto push = [&](ActionKind kind, int chunk, int& counter) {
    order.push_back(compute_action(kind, counter++, chunk));
  };
  auto input_then_weight = [&](int chunk, int& counter) {
    order.push_back(compute_action(ActionKind::BackwardInput, counter, chunk));
    order.push_back(compute_action(ActionKind::BackwardWeight, counter++, chunk));
  };

  for (int i = 0; i < 2 * (p - rank) - 1; ++i) push(ActionKind::Forward, 0, f0);
  for (int i = 0; i < rank; ++i) {
    push(ActionKind::Forward, 1, f1);
    push(ActionKind::Forward, 0, f0);
  }
  for (int i = 0; i < p - rank; ++i) {
    push(ActionKind::Forward, 1, f1);
    input_then_weight(1, b1);
  }
  while (f1 < f0 || f0 < n) {
    if (f0 < n) push(ActionKind::Forward, 0, f0);
    input_then_weight(0, b0);
    push(ActionKind::Forward, 1, f1);
    input_then_weight(1, b1);
  }
  int w0 = b0, w1 = b1;
  for (int i = 0; i < rank; ++i) {
    push(ActionKind::BackwardInput, 0, b0);
    push(ActionKind::BackwardInput, 1, b1);
  }
  for (int i = 0; i < p - rank; ++i) {
    push(ActionKind::BackwardInput, 0, b0);
    push(ActionKind::BackwardWeight, 0, w0);
  }
  while (w1 < b1) push(ActionKind::BackwardWeight, 1, w1);
  while (w0 < b0) push(ActionKind::BackwardWeight, 0, w0);

  order.erase(std::remove_if(order.begin(), order.end(), [&](const Action& a) { return a.microbatch >= m; }),
              order.end());
  return order;
}

}  // namespace tandem::pipeline
