#pragma once
// Writes what a LocalLaunch needs on disk before its mpirun starts: every
// emulated host's /opt/ml tree (a previous launch's trees and output are
// removed first, so a relaunch starts clean like a new SageMaker job, while
// its checkpoints stay for it to resume; a non-empty folder that no launch
// marked as its own is refused, never cleaned), each
// host's checkpoint path linked to the shared checkpoint folder, and a custom
// entry point script copied into each host's code folder.

#include <filesystem>

#include "launcher/job/job_spec.h"
#include "launcher/local/local_launch.h"

namespace tandem::launcher {

void prepare_local_job_folder(const JobSpec& job, const LocalLaunch& plan, const std::filesystem::path& job_file_dir);

}  // namespace tandem::launcher
