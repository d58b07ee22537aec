// The error of a prediction and the term that explains it (bench_result.h).
// A step is split the same way on both sides: compute (the busiest rank's
// forward and backward), the bubble (the compute window's length beyond that
// compute: idle and waiting for other stages), communication exposed after a
// rank's compute (gradient reductions), the optimizer, and the rest of the
// trainer's step (batches, the per-step agreement). The term named is the one
// whose predicted seconds are furthest from the measured ones.
#include "launcher/bench/bench_result.h"

#include "common/text/format_number.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tandem::launcher {
namespace {

std::string ms(double seconds) { return format_number("%.1f ms", seconds * 1e3); }

}  // namespace

double BenchResult::prediction_error() const {
  return measured.step_s > 0 ? (predicted.step_s - measured.step_s) / measured.step_s : 0;
}

std::string BenchResult::term_off() const {
  if (std::abs(prediction_error()) <= kPredictionTolerance) return "";
  struct Term {
    const char* name;
    double measured, predicted;
  };
  const double measured_rest =
      std::max(0.0, measured.step_s - measured.pipeline_s - measured.exposed_comm_s - measured.optimizer_s);
  const double predicted_rest = std::max(
      0.0, predicted.step_s - predicted.pipeline_s - predicted.allreduce_s - predicted.optimizer_s);
  const Term terms[] = {{"compute", measured.compute_s, predicted.compute_s},
                        {"bubble", measured.pipeline_s - measured.compute_s, predicted.pipeline_s - predicted.compute_s},
                        {"communication", measured.exposed_comm_s, predicted.allreduce_s},
                        {"optimizer", measured.optimizer_s, predicted.optimizer_s},
                        {"the rest of the step (batches, per-step agreement)", measured_rest, predicted_rest}};
  const Term* worst = &terms[0];
  for (const Term& t : terms)
    if (std::abs(t.predicted - t.measured) > std::abs(worst->predicted - worst->measured)) worst = &t;
  return std::string(worst->name) + " is off: measured " + ms(worst->measured) + ", predicted " + ms(worst->predicted);
}

}  // namespace tandem::launcher
