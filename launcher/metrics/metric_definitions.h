#pragma once
// The estimator's metric_definitions, applied to log lines the way SageMaker
// does (docs/sagemaker-contract.md §4.2): each definition's regex is searched in
// every stdout/stderr line, and the first capture group, read as a number,
// is the metric's value. Lines may carry an MPI tag such as
// `[1,0]<stdout>:`, so nothing anchors at the start of the line.

#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tandem::launcher {

struct MetricDefinition {
  std::string name;   // 1-255 characters
  std::string regex;  // 1-500 characters, ECMAScript (\D, lazy .*? work), at least one capture group
};

struct MetricSample {
  std::string name;
  double value;
};

// [{"Name": ..., "Regex": ...}, ...]; UsageError naming `source` and the
// entry for a bad shape, length, or a regex that does not compile.
std::vector<MetricDefinition> parse_metric_definitions(const nlohmann::json& definitions, const std::string& source);

// Characters of a log line that metric regexes see (the rest is ignored).
inline constexpr size_t kMetricLineLimit = 4096;

class MetricMatcher {
 public:
  explicit MetricMatcher(std::vector<MetricDefinition> definitions);

  // One sample per definition that matches the line with a numeric first
  // group; a capture that is not a finite number (e.g. 0:02:03.45) is skipped.
  std::vector<MetricSample> match(const std::string& line) const;

 private:
  std::vector<MetricDefinition> definitions_;
  std::vector<std::regex> regexes_;
};

}  // namespace tandem::launcher
