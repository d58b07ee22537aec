#include "parallel/pipeline/schedule/bubble.h"

#include "engine/error.h"
#include "parallel/pipeline/schedule/simulate.h"

namespace tandem::pipeline {

double theoretical_bubble(const ScheduleSpec& spec) {
  const SimulationResult result = simulate(build_schedule(spec));  // unit costs: Costs{}
  // A builder's schedule that deadlocks is a bug in the builder, not in the spec.
  if (result.deadlocked()) throw RuntimeFailure("schedule " + spec.kind + ": " + result.deadlock);
  return result.bubble_fraction;
}

std::optional<double> closed_form_bubble(const ScheduleSpec& spec) {
  check_spec(spec);
  const double p = spec.pp_size;
  const bool few_microbatches = spec.microbatches < spec.pp_size;
  if ((spec.kind == "zb_h1" || spec.kind == "interleaved_virtual") && few_microbatches) return std::nullopt;
  // The V: p - 1 single passes (F, b or w of one chunk) idle per rank, against
  // 6m busy ones (two chunks, three passes each), once the order is written
  // for no more microbatches than there are (m >= 2p - 1).
  if (spec.kind == "zb_v") {
    if (spec.microbatches < 2 * spec.pp_size - 1) return std::nullopt;
    return (p - 1) / (6.0 * spec.microbatches + p - 1);
  }
  // The bubble is p - 1 fill steps on every rank. A fill step is one forward
  // plus one backward for GPipe and 1F1B (ideal time: m of them), the same for
  // one chunk with virtual stages (m v of them), and a single F, b or w pass for
  // ZB-H1 (3m of them).
  double ideal_steps = spec.microbatches;
  if (spec.kind == "interleaved_virtual") ideal_steps *= spec.virtual_stages;
  if (spec.kind == "zb_h1") ideal_steps *= 3;
  const double relative = (p - 1) / ideal_steps;
  return relative / (1 + relative);
}

}  // namespace tandem::pipeline
