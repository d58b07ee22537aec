#pragma once
// What SageMaker would publish from the job's log: every line goes through
// the job's metric_definitions (metrics/metric_definitions.h); each capture is
// appended to a JSON-lines file as {"name", "value", "seconds"} (seconds since
// the launch, standing in for CloudWatch's timestamp) and summarised at the end.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "launcher/metrics/metric_definitions.h"

namespace tandem::launcher {

class MetricRecorder {
 public:
  // The file is created (truncated) now. No definitions: nothing is written.
  MetricRecorder(std::vector<MetricDefinition> definitions, const std::filesystem::path& jsonl_file);

  void observe(const std::string& line);

  // "name = last value (N samples)" per definition that captured something,
  // in definition order; "" when none did.
  std::string summary() const;

 private:
  struct Captured {
    double last = 0;
    int count = 0;
  };
  std::vector<MetricDefinition> definitions_;
  MetricMatcher matcher_;
  std::ofstream out_;
  std::map<std::string, Captured> captured_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace tandem::launcher
