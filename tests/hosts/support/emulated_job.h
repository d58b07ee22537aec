#pragma once
// SageMaker's own part of a training job whose instances are emulated hosts:
// what the platform does around the containers (docs/sagemaker-contract.md
// §3.2, §4.1, §4.2):
//   before: each host's /opt/ml as a fresh instance has it (config files,
//     File-mode channels copied in, empty code and model folders) and
//     /opt/ml/checkpoints filled from the checkpoint_s3_uri stand-in;
//   run: the image's entry point, `tandem launch`, on every host at once;
//   after: what each container left running is ended (a container's processes
//     die with its entry point), every host's checkpoints are uploaded to the
//     stand-in, the model folders packed into model.tar.gz, and the job's
//     metric regexes applied to the master's log.

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "launcher/job/job_spec.h"
#include "launcher/metrics/metric_definitions.h"
#include "tests/hosts/support/emulated_hosts.h"

namespace tandem::hosts {

struct ContainerLog {
  std::string host;
  std::optional<int> exit_code;  // nullopt: still running when the wait ended (then killed)
  std::string out, err;
  // Processes other than sshd still running in the host after its entry point
  // exited ("name: command line"); sshd serves the container's whole life.
  std::vector<std::string> left_running;
};

struct JobResult {
  std::vector<ContainerLog> containers;  // algo-1 (the master) first
  double seconds = 0;                    // from the start until the master's entry point exited
  std::chrono::steady_clock::time_point master_exited;
  std::vector<launcher::MetricSample> metrics;  // captured from the master's log, in order
  std::filesystem::path model_archive;          // empty when the job failed
  std::string failure;                          // the master's /opt/ml/output/failure, "" when none
  bool success_marker = false;                  // the master's /opt/ml/output/success

  const ContainerLog& master() const { return containers.front(); }
  // The values of one metric, in log order.
  std::vector<double> metric(const std::string& name) const;
};

class RunningJob {
 public:
  std::vector<HostProcess> containers;  // in host order
  std::chrono::steady_clock::time_point started;
};

class EmulatedJob {
 public:
  // `job` has a local instance type, so its inputs and checkpoint_s3_uri are
  // local folders; the archive goes to <output_dir>/model.tar.gz.
  EmulatedJob(const EmulatedHosts& hosts, launcher::JobSpec job, std::filesystem::path output_dir);

  // Every host's /opt/ml as a fresh instance has it, checkpoints downloaded.
  void prepare() const;
  // The containers' entry point on every host: `tandem launch <launch_args>`.
  RunningJob start(const std::vector<std::string>& launch_args = {}) const;
  // Waits up to `limit` for the master's entry point to exit and then up to
  // `workers_limit` for the others (the job's result is the master's; a
  // worker still waiting then is ended, as SageMaker ends a finished job's
  // instances), then does the platform's part after a job.
  JobResult finish(RunningJob& running, std::chrono::seconds limit,
                   std::chrono::seconds workers_limit = std::chrono::seconds(30)) const;
  // prepare, start and finish.
  JobResult run(std::chrono::seconds limit, const std::vector<std::string>& launch_args = {}) const;

  const launcher::JobSpec& job() const { return job_; }

 private:
  const EmulatedHosts& hosts_;
  launcher::JobSpec job_;
  std::filesystem::path output_dir_;
};

}  // namespace tandem::hosts
