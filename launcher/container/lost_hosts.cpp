#include "launcher/container/lost_hosts.h"

#include <algorithm>
#include <fstream>

#include "launcher/container/host_watch.h"
#include "launcher/supervisor/job_failure.h"

namespace tandem::launcher {
namespace {

std::string whole_seconds(std::chrono::milliseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

std::string first_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

std::string hosts_and_ranks(const ContainerJob& job, const std::vector<std::string>& hosts) {
  std::string text;
  for (const auto& host : hosts) {
    const auto index = std::find(job.resource.hosts.begin(), job.resource.hosts.end(), host) - job.resource.hosts.begin();
    std::vector<int> ranks;
    for (const auto& r : job.layout.ranks)
      if (r.host_index == index) ranks.push_back(r.rank);
    std::string list;
    for (int rank : ranks) list += (list.empty() ? "" : ", ") + std::to_string(rank);
    text += (text.empty() ? "" : ", ") + host;
    if (!ranks.empty()) text += (ranks.size() > 1 ? " (ranks " : " (rank ") + list + ")";
  }
  return text;
}

std::string lost_workers_reason(const ContainerJob& job, const std::vector<std::string>& hosts,
                                std::chrono::milliseconds limit) {
  return hosts_and_ranks(job, hosts) + " stopped answering on port " + std::to_string(kSshPort) + " for " +
         whole_seconds(limit) + " (instance down, cut off or frozen)";
}

std::string lost_master_reason(const ContainerJob& job, std::chrono::milliseconds limit) {
  return "the master " + job.master() + " stopped answering on port " + std::to_string(kSshPort) + " for " +
         whole_seconds(limit) + " (instance down, cut off or frozen)";
}

std::vector<std::string> silent_workers(const ContainerJob& job, std::chrono::milliseconds probe) {
  std::vector<std::string> silent;
  for (const auto& worker : job.workers())
    if (!answers_ssh(worker, kSshPort, probe)) silent.push_back(worker);
  return silent;
}

std::string master_failure(const ContainerJob& job, const JobOutcome& outcome, const std::vector<std::string>& silent,
                           const std::filesystem::path& failure_file, const std::vector<std::string>& worker_reports) {
  std::string reported = first_line(failure_file);
  if (reported.empty() && !worker_reports.empty()) reported = worker_reports.front();
  if (!outcome.ended_by.empty()) {
    return outcome.ended_by + ": the job was ended" + (reported.empty() ? "" : "; a rank had reported: " + reported);
  }
  if (silent.empty()) return reported.empty() ? describe_job_failure(outcome, {}, 0) : reported;
  // mpirun's last words about a vanished host ("therefore will terminate the
  // job.") add nothing to its name.
  JobOutcome quiet = outcome;
  quiet.stderr_tail.clear();
  const std::string message = reported.empty() ? describe_job_failure(quiet, {}, 0) : reported;
  return hosts_and_ranks(job, silent) + (silent.size() > 1 ? " no longer answer" : " no longer answers") +
         " on port " + std::to_string(kSshPort) + " (instance down, cut off or frozen): " + message;
}

}  // namespace tandem::launcher
