#pragma once
// What `tandem plan` is told, from one flag table that also generates
// `tandem plan --help`. validate_plan_args() holds the checks between flags.

#include "common/flags/flag_table.h"

#include <optional>
#include <string>
#include <vector>

namespace tandem::launcher {

struct PlanArgs {
  std::string distribution, mp_parameters;  // exactly one of them
  std::string model;
  int instance_count{};
  std::optional<int> processes_per_host;  // unset: the dict's mpi.processes_per_host, else 1
  int block_size{};
  std::optional<int> per_device_train_batch_size;  // unset: microbatches
  bool json{};
};

const flags::FlagTable<PlanArgs>& plan_flag_table();

// Throws UsageError naming the flag.
PlanArgs parse_plan_args(const std::vector<std::string>& argv);

// Exactly one of --distribution and --mp_parameters. Throws UsageError.
void validate_plan_args(const PlanArgs& args);

}  // namespace tandem::launcher
