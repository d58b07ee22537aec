#pragma once
// A job file (JOB.json) holding the SageMaker estimator's arguments, so one
// file describes a job for `tandem launch` (local mode) and `tandem plan`:
//   {"entry_point": "tandem train", "instance_type": "local_gpu", "instance_count": 2,
//    "hyperparameters": {...}, "distribution": {...}, "inputs": {"train": "data/train"},
//    "checkpoint_s3_uri": "file://ckpt", "use_spot_instances": true, "max_run": 3600,
//    "max_wait": 7200, "metric_definitions": [{"Name": ..., "Regex": ...}], "environment": {...}}
// Validated once here; every error names the key.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "launcher/distribution/distribution.h"
#include "launcher/metrics/metric_definitions.h"

namespace tandem::launcher {

struct JobSpec {
  std::string entry_point = "tandem train";
  std::string instance_type;                             // local, local_cpu, local_gpu or ml.*
  int instance_count = 1;
  nlohmann::json hyperparameters = nlohmann::json::object();  // the user's, as JSON values
  Distribution distribution;                             // instance_type filled in from the job
  // channel -> data. For local instance types: an existing local path, made
  // absolute, file:// removed. Otherwise the URI as given.
  std::map<std::string, std::string> inputs;
  // "" = none. For local instance types a local folder standing in for the
  // S3 prefix (file:// removed, made absolute); otherwise the s3:// URI.
  std::string checkpoint_s3_uri;
  std::string checkpoint_local_path = "/opt/ml/checkpoints";  // where the program writes checkpoints
  bool use_spot_instances = false;
  int max_run = 86400;                                   // seconds (MaxRuntimeInSeconds)
  int max_wait = 0;                                      // seconds (MaxWaitTimeInSeconds); 0 = not given
  std::vector<MetricDefinition> metric_definitions;
  std::map<std::string, std::string> environment;
  // Processes per host: mpi.processes_per_host when given; 1 without MPI or
  // SMDDP, and for local/local_cpu; else the GPUs of a known ml.* type;
  // 0 = the GPUs of the machine that runs it (local_gpu, unknown types).
  int processes_per_host = 1;

  bool is_local() const;
  std::vector<std::string> hosts() const;  // algo-1 ... algo-<instance_count>
};

// Relative paths (inputs, checkpoints, a modelparallel parameters file) are
// taken from base_dir; `source` names the file in errors.
JobSpec parse_job_spec(const nlohmann::json& job, const std::filesystem::path& base_dir,
                       const std::string& source = "JOB.json");
JobSpec read_job_spec(const std::filesystem::path& file);

}  // namespace tandem::launcher
