#include "parallel/pipeline/schedule/chrome_trace.h"

#include <nlohmann/json.hpp>
#include <set>

namespace tandem::pipeline {

std::string chrome_trace_json(const std::vector<TimedAction>& timeline) {
  nlohmann::json events = nlohmann::json::array();
  std::set<int> ranks;
  for (const TimedAction& timed : timeline) {
    const Action& action = timed.action;
    const bool compute = is_compute(action.kind);
    nlohmann::json event = {{"name", compute ? short_label(action) : describe(action)},
                            {"ph", "X"},
                            {"ts", timed.start_us},
                            {"dur", timed.end_us - timed.start_us},
                            {"pid", timed.rank},
                            {"tid", compute ? 0 : 1}};
    if (action.microbatch >= 0) event["args"] = {{"microbatch", action.microbatch}, {"chunk", action.chunk}};
    events.push_back(std::move(event));
    ranks.insert(timed.rank);
  }
  for (int rank : ranks) {
    events.push_back(
        {{"name", "process_name"}, {"ph", "M"}, {"pid", rank}, {"args", {{"name", "rank " + std::to_string(rank)}}}});
  }
  return nlohmann::json{{"traceEvents", events}}.dump();
}

}  // namespace tandem::pipeline
