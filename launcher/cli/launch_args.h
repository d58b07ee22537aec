#pragma once
// What `tandem launch` is told: an optional job file and its flags, from one
// flag table that also generates `tandem launch --help`.
// validate_launch_args() holds the checks between flags that need no file.

#include "common/flags/flag_table.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tandem::launcher {

struct LaunchArgs {
  std::optional<std::filesystem::path> job_file;
  bool dry_run{}, local{}, sagemaker{};
  std::string format;  // text or json
  std::optional<int> instance_count, processes_per_host;  // unset: the job file's
  std::optional<std::filesystem::path> job_dir;          // unset: runs/<job file name>
  int stop_grace_seconds{};
  // Container mode only; unset: the defaults in container_run.h.
  std::optional<int> host_wait_seconds, host_timeout_seconds;
  std::filesystem::path opt_ml;  // absolute
};

const flags::FlagTable<LaunchArgs>& launch_flag_table();

// Throws UsageError naming the flag.
LaunchArgs parse_launch_args(const std::vector<std::string>& argv);

// A job file with container mode, or the job file's overrides without a job
// file. Throws UsageError. Whether a container is there is for the caller.
void validate_launch_args(const LaunchArgs& args);

}  // namespace tandem::launcher
