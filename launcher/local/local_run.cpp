#include "launcher/local/local_run.h"

#include <iostream>

#include "engine/error.h"
#include "launcher/local/local_job_folder.h"
#include "launcher/local/metric_recorder.h"
#include "launcher/local/model_archive.h"
#include "launcher/supervisor/job_failure.h"

namespace tandem::launcher {
namespace fs = std::filesystem;

int run_local_job(const JobSpec& job, const LocalLaunch& plan, const fs::path& job_file_dir, int stop_grace_seconds) {
  prepare_local_job_folder(job, plan, job_file_dir);
  std::cout << "tandem: " << plan.layout.world_size << " ranks on " << plan.hosts.size() << " emulated host(s), job folder "
            << plan.job_dir.string() << std::endl;

  MetricRecorder metrics(job.metric_definitions, plan.output_dir() / "metrics.jsonl");
  SupervisorOptions options;
  options.processes_per_host = plan.processes_per_host;
  options.max_run_seconds = job.max_run;
  options.stop_grace_seconds = stop_grace_seconds;
  ChildSpec command(plan.command);
  command.env = plan.forwarded_environment;  // the values of the names the command exports
  const JobOutcome outcome =
      supervise_job(command, options, [&](const std::string& line) { metrics.observe(line); });
  const std::string captured = metrics.summary();
  if (!captured.empty()) std::cout << "tandem: metrics (last value of each):\n" << captured;

  std::vector<fs::path> rank_failure_files, model_dirs;
  for (const auto& host : plan.hosts) {
    rank_failure_files.push_back(host.root / "output" / "failure");
    model_dirs.push_back(host.root / "model");
  }
  const fs::path archive = plan.output_dir() / "model.tar.gz";
  const bool completed = outcome.stop == StopReason::None && outcome.exit_code == 0;
  // SageMaker uploads the model folder after a stop too: the SIGTERM window is
  // there to save artifacts.
  if (completed || (outcome.stop != StopReason::None && !outcome.killed_after_grace)) write_model_archive(model_dirs, archive);
  if (completed) {
    std::cout << "tandem: job completed; model archive " << archive.string() << std::endl;
    return 0;
  }
  if (outcome.stop == StopReason::Signal) {
    std::cerr << "tandem: job stopped; checkpoints are in " << plan.checkpoints.string()
              << "; launch the same job again to resume" << std::endl;
    return 128 + outcome.stop_signal;
  }
  const std::string message = describe_job_failure(outcome, rank_failure_files, job.max_run);
  write_failure_file(plan.output_dir() / "failure", message);
  throw RuntimeFailure(message);
}

}  // namespace tandem::launcher
