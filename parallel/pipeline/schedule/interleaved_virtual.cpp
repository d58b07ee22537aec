// Megatron's interleaved 1F1B over virtual stages (Narayanan et al., SC21;
// Megatron-LM core/pipeline_parallel/schedules.py). Each rank holds v model
// chunks; chunk c on rank r is stage c*p + r, so a microbatch visits every rank
// v times and the fill/drain bubble shrinks by v: (p - 1)/(m v) of the ideal time.
//
// Order of virtual microbatches (one (microbatch, chunk) pass each): microbatches
// go in groups — chunk 0 for the group, then chunk 1 for the same group, ...,
// then the next group. Backwards use the same table with the chunks reversed.
// Rank r runs 2(p - r - 1) + (v - 1)g warm-up forwards, g the widest group, then
// one forward / one backward, then drains. The (v - 1)g term is what puts the
// last chunk's forward of a microbatch before its backward.
//
// Megatron splits into groups of exactly p and so requires m % p == 0. We split
// into floor(m/p) groups as even as possible (widths differ by at most one, none
// below p), as PyTorch's Interleaved1F1B does when m divides evenly; with
// m % p == 0 this is Megatron's schedule. With m < p there is one group of all
// m microbatches, as PyTorch's Interleaved1F1B makes (one round of m): ranks
// then idle while chunk c+1 of the first microbatch comes back round to rank 0,
// so the bubble exceeds the closed form, but stays below one chunk's 1F1B at
// the same m. Simulation over a range of (p, m, v) in tests/layout shows every
// such schedule valid and deadlock-free; with m >= p the bubble is exactly
// (p - 1)/(m v + p - 1) of the step and rank 0 stashes at most
// 2(p - 1) + (v - 1)g + 1 chunk activations — Megatron's bound when g = p.

#include <algorithm>
#include <string>
#include <utility>

#include "engine/error.h"
#include "parallel/pipeline/schedule/compute_order.h"

namespace tandem::pipeline {

namespace {

// Widths of the microbatch groups: floor(m/p) of them (one when m < p), the
// wider ones first.
std::vector<int> group_widths(int p, int m) {
  const int groups = std::max(1, m / p);
  std::vector<int> widths(groups, m / groups);
  for (int i = 0; i < m % groups; ++i) ++widths[i];
  return widths;
}

// (microbatch, chunk) of every forward pass on a rank, in order.
std::vector<std::pair<int, int>> forward_table(const std::vector<int>& widths, int v) {
  std::vector<std::pair<int, int>> table;
  int first = 0;
  for (int width : widths) {
    for (int chunk = 0; chunk < v; ++chunk) {
      for (int mb = first; mb < first + width; ++mb) table.emplace_back(mb, chunk);
    }
    first += width;
  }
  return table;
}

}  // namespace

void check_interleaved_virtual(const ScheduleSpec& spec) {
  const std::string numbers = "partitions=" + std::to_string(spec.pp_size) +
                              ", microbatches=" + std::to_string(spec.microbatches) +
                              ", virtual_stages=" + std::to_string(spec.virtual_stages);
  if (spec.virtual_stages < 2) {
    throw UsageError("virtual_stages=" + std::to_string(spec.virtual_stages) +
                     ": pipeline=interleaved_virtual needs virtual_stages >= 2 "
                     "(pipeline=interleaved is the one-chunk 1F1B schedule)");
  }
  if (spec.pp_size < 2) {
    throw UsageError("pipeline=interleaved_virtual needs partitions >= 2 (" + numbers + ")");
  }
}

std::vector<Action> interleaved_virtual_compute_order(const ScheduleSpec& spec, int rank) {
  const int p = spec.pp_size;
  const int v = spec.virtual_stages;
  const std::vector<int> widths = group_widths(p, spec.microbatches);
  const auto forwards = forward_table(widths, v);
  const int total = static_cast<int>(forwards.size());
  const int widest = widths.front();
  const int warmup = std::min(2 * (p - rank - 1) + (v - 1) * widest, total);

  auto forward = [&](int k) { return compute_action(ActionKind::Forward, forwards[k].first, forwards[k].second); };
  auto backward = [&](int k) {
    return compute_action(ActionKind::Backward, forwards[k].first, v - 1 - forwards[k].second);
  };
  std::vector<Action> order;
  for (int k = 0; k < warmup; ++k) order.push_back(forward(k));
  for (int k = 0; k < total - warmup; ++k) {
    order.push_back(forward(warmup + k));
    order.push_back(backward(k));
  }
  for (int k = total - warmup; k < total; ++k) order.push_back(backward(k));
  return order;
}

}  // namespace tandem::pipeline
