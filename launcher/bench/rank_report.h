#pragma once
// Reading the per-rank reports `tandem train --bench_report` writes
// (run/bench_report.h) and turning one strategy's reports into its
// measurement: step time, compute, communication, idle share, bytes sent
// inside and between hosts, peak memory, and the timeline of one step.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace tandem::launcher {

struct ReportSpan {
  std::string kind;  // forward, backward, backward_input, backward_weight, communication, optimizer, step
  double start_s = 0, end_s = 0;
  int microbatch = -1;
};

struct ReportStep {
  double start_s = 0, end_s = 0;
  std::map<int, double> bytes_to;  // world rank -> bytes sent to it during the step
};

struct RankReport {
  int rank = 0, world_size = 1, pp_rank = 0, dp_rank = 0;
  std::string host;
  double peak_memory_bytes = 0;
  std::vector<ReportStep> steps;
  std::vector<ReportSpan> spans;
};

// RuntimeFailure naming the file and the field when it is missing, not JSON,
// or a field has the wrong type.
RankReport read_rank_report(const std::filesystem::path& file);
// rank-0.json .. rank-(n-1).json of `folder`; RuntimeFailure naming the first missing one.
std::vector<RankReport> read_rank_reports(const std::filesystem::path& folder, int ranks);

// A span of the timeline, in seconds from the start of the step drawn; kind
// is a ReportSpan kind, or "idle" for the gaps inside the step.
struct TimelineSpan {
  std::string kind;
  double start_s = 0, end_s = 0;
};

struct Measurement {
  int measured_steps = 0;        // steps after the warm-up
  double step_s = 0;             // median over steps of the slowest rank's step
  double compute_s = 0;          // median over steps of the busiest rank's forward and backward time
  double pipeline_s = 0;         // median over steps of the compute window: first compute start to last compute end
  double comm_s = 0;             // median over steps of the longest time a rank waited for communication
  double exposed_comm_s = 0;     // communication that outlasts the last compute of the step (inside the window it is the bubble)
  double optimizer_s = 0;        // median over steps of the longest clip + AdamW
  double bubble = 0;             // idle share of the ranks between the step's first and last compute
  double comm_bytes = 0, intra_host_bytes = 0, inter_host_bytes = 0;  // per step, all ranks
  double peak_memory_bytes = 0;  // the fullest rank
  std::vector<std::vector<TimelineSpan>> timeline;  // per rank, the median step
  double timeline_s = 0;         // that step's length
};

// RuntimeFailure when the reports disagree on the number of steps or have no
// step after `warmup_steps`.
Measurement measure(const std::vector<RankReport>& ranks, int warmup_steps);

}  // namespace tandem::launcher
