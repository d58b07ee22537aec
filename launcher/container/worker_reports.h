#pragma once
// A rank that fails on a worker writes its report to that host's
// /opt/ml/output/failure, and its stderr line may never reach the master
// (mpirun kills the worker's ranks and orted as it aborts). The job's result
// is the master's, so after a failed job the master reads the workers' reports
// over ssh: the failure a user reads then names the rank and host that failed
// first, not Open MPI's teardown.

#include <filesystem>
#include <string>
#include <vector>

namespace tandem::launcher {

// The first line of `file` on each host, in host order; hosts whose file is
// missing or empty, or that ssh cannot reach within its connection timeout,
// give nothing.
std::vector<std::string> read_worker_reports(const std::vector<std::string>& hosts, const std::filesystem::path& file);

}  // namespace tandem::launcher
