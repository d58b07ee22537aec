#pragma once
// Where metrics go: `name = value` lines on stdout (one per line, for
// SageMaker's metric regexes), metrics.jsonl in the output data dir (one JSON
// object per record with a "step" field), and on a terminal a progress bar on
// stderr. Only the main rank logs.

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace tandem {

using MetricRecord = std::vector<std::pair<std::string, double>>;

class MetricsLog {
 public:
  MetricsLog(const std::string& output_data_dir, bool enabled, bool progress_bar);
  ~MetricsLog();

  // Prints and appends one record; `title` heads the printed block ("train", "eval", ...).
  void record(const std::string& title, int step, const MetricRecord& metrics);
  void progress(int step, int total_steps, double loss, double tokens_per_second, double seconds_left);
  void message(const std::string& line);

 private:
  void clear_progress();
  bool enabled_, progress_bar_, progress_shown_ = false;
  std::string path_;     // metrics.jsonl
  std::ofstream jsonl_;  // opened at the first record
};

}  // namespace tandem
