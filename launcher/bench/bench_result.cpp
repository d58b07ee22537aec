// The error of a prediction and the term that explains it (bench_result.h).
// A step is compute (the busiest rank's forward and backward), the
// pipeline's idle time (the bubble), and communication the ranks waited for
// (plus the optimizer, measured in the profiling pass too). The term named is
// the one whose predicted seconds are furthest from the measured ones.
#include "launcher/bench/bench_result.h"

#include <cmath>
#include <cstdio>

namespace tandem::launcher {
namespace {

std::string ms(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f ms", seconds * 1e3);
  return buffer;
}

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
  // The bubble in seconds: the idle share of the compute window on the busiest rank.
  const double measured_idle = measured.bubble / std::max(1e-12, 1 - measured.bubble) * measured.compute_s;
  const double predicted_idle = predicted.bubble / std::max(1e-12, 1 - predicted.bubble) * predicted.compute_s;
  const Term terms[] = {{"compute", measured.compute_s, predicted.compute_s},
                        {"bubble", measured_idle, predicted_idle},
                        {"communication", measured.comm_s, predicted.allreduce_s},
                        {"optimizer", measured.optimizer_s, predicted.optimizer_s}};
  const Term* worst = &terms[0];
  for (const Term& t : terms)
    if (std::abs(t.predicted - t.measured) > std::abs(worst->predicted - worst->measured)) worst = &t;
  return std::string(worst->name) + " is off: measured " + ms(worst->measured) + ", predicted " + ms(worst->predicted);
}

}  // namespace tandem::launcher
