#pragma once
// What `tandem bench` is told, from one flag table that also generates
// `tandem bench --help`. Two modes:
//  - measuring (the default): runs one model under several strategies with
//    `tandem train`, whose flags it takes too: any flag not in this table is
//    passed on to every run (`tandem train --help` lists them);
//  - predicting (--predict True): asks the cluster model
//    (parallel/cluster_model/) about a SageMaker cluster; nothing runs.

#include "common/flags/flag_table.h"

#include <optional>
#include <string>
#include <vector>

namespace tandem::launcher {

struct BenchArgs {
  bool predict{};
  // Predicting.
  std::string cluster;
  int instance_count{};
  std::optional<int> processes_per_host;  // unset: the dict's mpi.processes_per_host, else the GPUs per host
  std::string distribution;
  std::optional<int> per_device_train_batch_size;  // unset: microbatches (1 for data parallel)
  std::string calibration;
  int sweep_rows{};
  // Both.
  std::string model;
  std::optional<int> block_size;  // unset: block_size_for(args)
  std::string output_dir;         // predicting: empty writes nothing; measuring: required
  // Measuring.
  bool quick{};
  std::string strategies;  // comma-separated; empty: all
  int global_batch{};
  int microbatches{};
  int processes{};
  int max_steps{};
  int rounds{};
  bool probe_link{};       // internal: this process is a rank of the link probe
  int probe_message_bytes{};  // internal: the probe's pipeline message
  std::vector<std::string> train_flags;  // the flags passed on to every `tandem train`

  std::vector<std::string> explicitly_set;
};

const flags::FlagTable<BenchArgs>& bench_flag_table();

// Flags of the bench table are parsed; every other `--key value` pair goes
// to train_flags unparsed (the command checks them with train's table).
// Throws UsageError naming the flag.
BenchArgs parse_bench_args(const std::vector<std::string>& argv);

// Predicting: a --distribution. Measuring: an --output_dir, no predicting
// flag, and no train flag the bench sets per strategy. UsageError naming the flag.
void validate_bench_args(const BenchArgs& args);

// Tokens per example: --block_size, else 1024 predicting (GPT-2's context),
// 32 measuring with --quick True, 128 measuring otherwise.
int block_size_for(const BenchArgs& args);
// Optimizer steps each strategy runs: --max_steps, at most 12 with --quick True.
int steps_for(const BenchArgs& args);
// Steps at the start that are not measured (allocator and thread-pool warm-up).
constexpr int kWarmupSteps = 1;

}  // namespace tandem::launcher
