#include "launcher/container/container_run.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

#include "engine/error.h"
#include "launcher/container/host_watch.h"
#include "launcher/container/tcp_wait.h"
#include "launcher/container/worker_wait.h"
#include "launcher/shell/shlex.h"
#include "launcher/supervisor/child_process.h"
#include "launcher/supervisor/job_failure.h"
#include "launcher/supervisor/stop_signals.h"

namespace tandem::launcher {
namespace fs = std::filesystem;

namespace {

constexpr int kSshPort = 22;
constexpr int kDoneMarkerAttempts = 5;  // the toolkit's retries, 1 s apart
// An unreachable worker must not hold the master: each ssh gets this long to connect.
constexpr const char* kSshConnectTimeout = "ConnectTimeout=10";
// After a failed job, how long a worker's sshd has to answer before its host
// counts as gone.
constexpr auto kAliveProbe = std::chrono::seconds(2);

// The toolkit runs ./<entry point> from the code folder. A tandem image need
// not ship its own binary there: `tandem ...` then runs this one.
void ensure_entry_point(const ContainerJob& job, const fs::path& tandem_binary) {
  const std::string program = shlex_split(job.entry_point, "sagemaker_program").front();
  const fs::path target = job.root / "code" / program;
  std::error_code ec;
  if (fs::exists(target, ec)) return;
  if (program != "tandem") {
    throw RuntimeFailure("entry point " + target.string() + " is missing (the toolkit runs ./" + program + " from " +
                         (job.root / "code").string() + ")");
  }
  fs::create_directories(target.parent_path());
  fs::create_symlink(tandem_binary, target);
}

void start_sshd(const std::string& sshd) {
  if (!fs::exists(sshd)) {
    throw RuntimeFailure(sshd + " is missing: multi-host jobs need an ssh server in the image "
                         "(apt-get install -y openssh-server && mkdir -p /var/run/sshd && ssh-keygen -A)");
  }
  ChildProcess::start(ChildSpec({sshd, "-D"}));  // runs for the container's lifetime
}

void touch_done_markers(const std::vector<std::string>& workers, const ContainerJob& job, const fs::path& done_dir) {
  const std::string marker = done_marker(done_dir, job.master()).string();
  for (const auto& worker : workers) {
    bool touched = false;
    for (int attempt = 0; attempt < kDoneMarkerAttempts && !touched; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::seconds(1));
      touched = run_to_completion(ChildSpec({"ssh", "-o", kSshConnectTimeout, worker, "touch", marker})) == 0;
    }
    if (!touched) std::cerr << "tandem: could not mark " << worker << " done over ssh; it gives up waiting on its own\n";
  }
}

// The workers whose sshd no longer answers: after a failed job, the instances
// that died, were cut off or froze, the likely cause.
std::vector<std::string> silent_workers(const ContainerJob& job) {
  std::vector<std::string> silent;
  for (const auto& worker : job.workers())
    if (!answers_ssh(worker, kSshPort, kAliveProbe)) silent.push_back(worker);
  return silent;
}

// "algo-2 (ranks 2, 3)": what a user needs to find a host's ranks in the log.
std::string hosts_and_ranks(const ContainerJob& job, const std::vector<std::string>& hosts) {
  std::string text;
  for (const auto& host : hosts) {
    const auto index = std::find(job.resource.hosts.begin(), job.resource.hosts.end(), host) - job.resource.hosts.begin();
    std::vector<int> ranks;
    for (const auto& r : job.layout.ranks)
      if (r.host_index == index) ranks.push_back(r.rank);
    std::string list;
    for (int rank : ranks) list += (list.empty() ? "" : ", ") + std::to_string(rank);
    text += (text.empty() ? "" : ", ") + host + (ranks.empty() ? "" : (ranks.size() > 1 ? " (ranks " : " (rank ") + list + ")");
  }
  return text;
}

std::string answers_verb(const std::vector<std::string>& hosts) { return hosts.size() > 1 ? "answer" : "answers"; }

std::string first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

// The job's failure message: a rank's own report, with a vanished host put in
// front of it (the ranks that saw it go only saw a peer fail or time out).
std::string master_failure(const ContainerJob& job, const JobOutcome& outcome, const std::vector<std::string>& silent,
                           const fs::path& failure_file) {
  if (!outcome.ended_by.empty()) {
    const std::string reported = first_line(failure_file);
    return outcome.ended_by + ": the job was ended" + (reported.empty() ? "" : "; a rank had reported: " + reported);
  }
  const std::string message = describe_job_failure(outcome, {failure_file}, 0);
  if (silent.empty()) return message;
  return hosts_and_ranks(job, silent) + " no longer " + answers_verb(silent) +
         " on port 22 (instance down, cut off or frozen): " + message;
}

int run_master(const ContainerJob& job, const ContainerMachine& machine, const ContainerRun& run) {
  ensure_entry_point(job, run.tandem_binary);
  const bool multi_host = job.resource.hosts.size() > 1 && job.runner != Runner::Process;
  if (multi_host) {
    catch_stop_signals();
    start_sshd(run.sshd);
    wait_until_accepting(job.workers(), kSshPort, run.host_wait, run.host_poll, "the workers' sshd");
  }
  SupervisorOptions options;
  options.processes_per_host = job.processes_per_host;
  options.stop_grace_seconds = run.stop_grace_seconds;
  options.stop_targets = job.runner == Runner::Process ? StopTargets::Leaves : StopTargets::Ranks;
  std::optional<HostWatch> watch;
  if (multi_host) {
    watch.emplace(job.workers(), kSshPort, run.host_watch);
    options.must_end = [&]() -> std::string {
      const auto lost = watch->lost();
      if (lost.empty()) return "";
      return hosts_and_ranks(job, lost) + " stopped answering on port 22 for " +
             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(run.host_watch.limit).count()) +
             " s (instance down, cut off or frozen)";
    };
  }
  ChildSpec command(master_command(job, machine));
  command.env = job.environment;
  command.cwd = job.root / "code";
  const JobOutcome outcome = supervise_job(command, options, [](const std::string&) {});
  watch.reset();
  const bool completed = outcome.stop == StopReason::None && outcome.exit_code == 0 && outcome.ended_by.empty();
  const std::vector<std::string> silent = multi_host && !completed ? silent_workers(job) : std::vector<std::string>{};
  if (multi_host) {
    std::vector<std::string> reachable;
    for (const auto& worker : job.workers())
      if (std::find(silent.begin(), silent.end(), worker) == silent.end()) reachable.push_back(worker);
    touch_done_markers(reachable, job, run.done_dir);
  }

  const fs::path output = job.root / "output";
  if (completed) {
    std::ofstream(output / "success");
    return 0;
  }
  if (outcome.stop == StopReason::Signal && outcome.ended_by.empty()) return 128 + outcome.stop_signal;
  const std::string message = master_failure(job, outcome, silent, output / "failure");
  // A rank's report alone stays as it is, as the toolkit keeps it.
  write_failure_file(output / "failure", message, /*keep_existing=*/silent.empty() && outcome.ended_by.empty());
  throw RuntimeFailure(message);
}

int run_worker(const ContainerJob& job, const ContainerRun& run) {
  catch_stop_signals();
  // This host's ranks run ./<entry point> from its own code folder.
  ensure_entry_point(job, run.tandem_binary);
  wait_until_accepting({job.master()}, kSshPort, run.host_wait, run.host_poll, "the master's sshd");
  {
    // Ranks that orted starts over ssh get their environment from here.
    std::ofstream out(run.etc_environment, std::ios::app);
    const Env own = Env::from_process();
    for (const auto& [name, value] : own.vars()) out << name << "=" << value << "\n";
    for (const auto& [name, value] : job.environment) out << name << "=" << value << "\n";
    if (!out) throw RuntimeFailure(run.etc_environment.string() + ": cannot append the job's environment");
  }
  start_sshd(run.sshd);
  HostWatch watch({job.master()}, kSshPort, run.host_watch);
  WorkerWait wait;
  wait.master = job.master();
  wait.done_dir = run.done_dir;
  wait.poll = run.host_poll;
  wait.master_lost = [&]() -> std::string {
    if (watch.lost().empty()) return "";
    return "the master " + job.master() + " stopped answering on port 22 for " +
           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(run.host_watch.limit).count()) +
           " s (instance down, cut off or frozen)";
  };
  std::string lost;
  switch (wait_as_worker(wait, &lost)) {
    case WorkerEnd::Done:
      break;
    case WorkerEnd::MasterLost:
      throw RuntimeFailure(job.resource.current_host + ": " + lost + "; this host's ranks were ended");
    case WorkerEnd::NoDoneMarker:
      std::cerr << "tandem: " << job.master() << " did not mark this host done; its ranks have ended, so exiting\n";
      break;
    case WorkerEnd::Stopped:
      return 128 + stop_signal_received();
  }
  return 0;
}

}  // namespace

int run_container_job(const ContainerJob& job, const ContainerMachine& machine, const ContainerRun& run) {
  // Without MPI every host runs the program itself.
  if (job.is_master() || job.runner == Runner::Process) return run_master(job, machine, run);
  return run_worker(job, run);
}

}  // namespace tandem::launcher
