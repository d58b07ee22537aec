#pragma once
// What `tandem bench` is told, from one flag table that also generates
// `tandem bench --help`. Only the predicting mode (--predict True) exists:
// it asks the cluster model (parallel/cluster_model/) about a SageMaker
// cluster; measuring strategies by running them is not built yet.

#include "common/flags/flag_table.h"

#include <optional>
#include <string>
#include <vector>

namespace tandem::launcher {

struct BenchArgs {
  bool predict{};
  std::string cluster;
  int instance_count{};
  std::optional<int> processes_per_host;  // unset: the dict's mpi.processes_per_host, else the GPUs per host
  std::string model;
  std::string distribution;
  int block_size{};
  std::optional<int> per_device_train_batch_size;  // unset: microbatches (1 for data parallel)
  std::string calibration;
  int sweep_rows{};
  std::string output_dir;  // empty: write nothing
};

const flags::FlagTable<BenchArgs>& bench_flag_table();

// Throws UsageError naming the flag.
BenchArgs parse_bench_args(const std::vector<std::string>& argv);

// --predict True and a --distribution; UsageError otherwise, the first saying
// that the measuring mode is not built yet.
void validate_bench_args(const BenchArgs& args);

}  // namespace tandem::launcher
