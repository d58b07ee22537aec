#pragma once
// The failure file: SageMaker shows the first 1024 characters of
// <output dir>/failure as the job's FailureReason, so it holds the one line a
// user needs: preferably what the failing rank itself reported (tandem train
// writes its error to its host's output/failure), else mpirun's status and the
// last thing the ranks printed on stderr.

#include <filesystem>
#include <string>
#include <vector>

#include "launcher/supervisor/job_supervisor.h"

namespace tandem::launcher {

constexpr size_t kFailureReasonLimit = 1024;

// One line. rank_failure_files: each host's output/failure, in host order.
std::string describe_job_failure(const JobOutcome& outcome, const std::vector<std::filesystem::path>& rank_failure_files,
                                 int max_run_seconds);

// Writes the first kFailureReasonLimit characters of message. With
// keep_existing, a file already there (a rank's own report) is left as it is,
// as the training toolkit does.
void write_failure_file(const std::filesystem::path& file, const std::string& message, bool keep_existing = false);

}  // namespace tandem::launcher
