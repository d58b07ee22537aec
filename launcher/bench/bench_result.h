#pragma once
// One strategy's row of `tandem bench`: what was measured beside what the
// cluster model predicted from the profiling pass, and, where they differ by
// more than the tolerance, which term of the prediction is off.

#include "launcher/bench/bench_strategies.h"
#include "launcher/bench/rank_report.h"
#include "parallel/cluster_model/predict.h"

#include <string>
#include <vector>

namespace tandem::launcher {

// The bound on the prediction's error, per strategy.
constexpr double kPredictionTolerance = 0.15;

struct BenchResult {
  BenchStrategy strategy;
  Measurement measured;             // the round whose step time is the median
  std::vector<double> round_step_s;  // every round's step time, in the order run
  cluster::Prediction predicted;
  double tokens_per_step = 0;
  double tokens_per_second() const { return measured.step_s > 0 ? tokens_per_step / measured.step_s : 0; }
  // (predicted - measured) / measured step time.
  double prediction_error() const;
  // "" within the tolerance; otherwise e.g. "bubble: measured 31.0% of 412 ms, predicted 20.0% of 380 ms".
  std::string term_off() const;
};

}  // namespace tandem::launcher
