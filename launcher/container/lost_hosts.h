#pragma once
// Naming the hosts a multi-host job lost, so that the failure a user reads
// says which instance to look at and which ranks ran there:
//   "algo-2 (ranks 2, 3) stopped answering on port 22 for 30 s (instance
//    down, cut off or frozen): the job was ended; a rank had reported: ..."
// Host loss is judged by sshd's answer (host_watch.h).

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "launcher/container/container_job.h"
#include "launcher/supervisor/job_supervisor.h"

namespace tandem::launcher {

constexpr int kSshPort = 22;

// "algo-2 (ranks 2, 3), algo-3 (ranks 4, 5)": the hosts with their ranks in the job's layout.
std::string hosts_and_ranks(const ContainerJob& job, const std::vector<std::string>& hosts);

// Why the master ends the job when the watch lost `hosts` after `limit`.
std::string lost_workers_reason(const ContainerJob& job, const std::vector<std::string>& hosts,
                                std::chrono::milliseconds limit);
// Why a worker ends its ranks when the watch lost the master after `limit`.
std::string lost_master_reason(const ContainerJob& job, std::chrono::milliseconds limit);

// After a failed job: the workers whose sshd gives no answer within `probe`,
// the instances that died, were cut off or froze, the likely cause.
std::vector<std::string> silent_workers(const ContainerJob& job, std::chrono::milliseconds probe);

// The master's failure message. A rank's own report is kept: the first line
// of the master's `failure_file`, else the first of `worker_reports` (what
// ranks on workers wrote there, worker_reports.h). A host that was lost
// (outcome.ended_by) or is silent after the failure is put in front of it,
// since the ranks that saw it go only saw a peer fail or time out.
std::string master_failure(const ContainerJob& job, const JobOutcome& outcome, const std::vector<std::string>& silent,
                           const std::filesystem::path& failure_file, const std::vector<std::string>& worker_reports = {});

}  // namespace tandem::launcher
