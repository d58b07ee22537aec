#include "parallel/pipeline/schedule/bubble.h"

namespace tandem::pipeline {

double theoretical_bubble(const ScheduleSpec& spec) {
  check_spec(spec);
  const double p = spec.stages_p;
  // The bubble is p - 1 fill steps on every rank. A fill step is one forward
  // plus one backward for GPipe and 1F1B (ideal time: m of them), the same for
  // one chunk with virtual stages (m v of them), and a single F, b or w pass for
  // ZB-H1 (3m of them).
  double ideal_steps = spec.microbatches_m;
  if (spec.kind == "interleaved_virtual") ideal_steps *= spec.virtual_stages_v;
  if (spec.kind == "zb_h1") ideal_steps *= 3;
  const double relative = (p - 1) / ideal_steps;
  return relative / (1 + relative);
}

}  // namespace tandem::pipeline
