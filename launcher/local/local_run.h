#pragma once
// Runs a LocalLaunch to the end, doing for the emulated hosts what SageMaker
// does for a training job: prepares the folders, streams the rank-tagged log,
// captures metric_definitions, enforces max_run, and leaves in
// <job_dir>/output:
//   model.tar.gz    every host's model folder, when the job completed or was stopped
//   metrics.jsonl   every metric capture (when the job defines metrics)
//   failure         what went wrong, at most 1024 characters (SageMaker's FailureReason)

#include <filesystem>

#include "launcher/job/job_spec.h"
#include "launcher/local/local_launch.h"
#include "launcher/supervisor/job_supervisor.h"

namespace tandem::launcher {

// 0 when the job completed; 128 + signal when SIGTERM/SIGINT stopped it (the
// ranks saved a checkpoint: launching the job again resumes). A failed job or
// one stopped by max_run throws RuntimeFailure with the failure file's text.
int run_local_job(const JobSpec& job, const LocalLaunch& plan, const std::filesystem::path& job_file_dir,
                  int stop_grace_seconds = kStopGraceSeconds);

}  // namespace tandem::launcher
