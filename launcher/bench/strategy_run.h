#pragma once
// Running one strategy the way a user runs training: mpirun over this
// `tandem` binary's `train`, with the flags every strategy shares, the
// strategy's distribution dict and batch, and --bench_report, so each rank
// writes what it did (run/bench_report.h). Output goes to a log file.

#include "launcher/bench/bench_strategies.h"

#include <filesystem>
#include <string>
#include <vector>

namespace tandem::launcher {

struct StrategyRunSpec {
  std::filesystem::path tandem_binary;
  std::filesystem::path run_dir;          // <output_dir>/runs/<strategy>
  std::vector<std::string> shared_flags;  // model, data, block size, steps, threads, the user's train flags
};

// The command for `strategy`; its rank reports go to run_dir/reports.
std::vector<std::string> strategy_command(const BenchStrategy& strategy, const StrategyRunSpec& spec);

// Runs `command` with stdout and stderr appended to `log`; returns the exit code.
// RuntimeFailure when the log cannot be written or the program cannot start.
int run_logged(const std::vector<std::string>& command, const std::filesystem::path& log);

// The last `lines` lines of a log, for a failure's message.
std::string log_tail(const std::filesystem::path& log, int lines);

}  // namespace tandem::launcher
