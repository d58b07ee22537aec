#pragma once
// Timed actions as a Chrome trace (chrome://tracing, Perfetto):
//   {"traceEvents":[{"name":"F3","ph":"X","ts":12.0,"dur":1.0,"pid":0,"tid":0,...}, ...]}
// One process per pipeline rank ("rank N"); thread 0 holds compute, thread 1
// communication (sends, receives with their wait, gradient reduction, optimizer).
// The executor feeds it measured timestamps, the simulator predicted ones.

#include <string>
#include <vector>

#include "parallel/pipeline/schedule/simulate.h"

namespace tandem::pipeline {

std::string chrome_trace_json(const std::vector<TimedAction>& timeline);

}  // namespace tandem::pipeline
