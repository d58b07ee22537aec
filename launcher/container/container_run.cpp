#include "launcher/container/container_run.h"
#include "launcher/supervisor/no_follow_file.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include "engine/error.h"
#include "launcher/container/host_watch.h"
#include "launcher/container/lost_hosts.h"
#include "launcher/container/tcp_wait.h"
#include "launcher/container/worker_reports.h"
#include "launcher/container/worker_wait.h"
#include "launcher/env/environment_file.h"
#include "launcher/shell/shlex.h"
#include "launcher/supervisor/child_process.h"
#include "launcher/supervisor/job_failure.h"
#include "launcher/supervisor/stop_signals.h"

namespace tandem::launcher {
namespace fs = std::filesystem;

namespace {

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
      return lost.empty() ? "" : lost_workers_reason(job, lost, run.host_watch.limit);
    };
  }
  ChildSpec command(master_command(job, machine));
  command.env = job.environment;
  command.cwd = job.root / "code";
  const JobOutcome outcome = supervise_job(command, options, [](const std::string&) {});
  watch.reset();
  const bool completed = outcome.stop == StopReason::None && outcome.exit_code == 0 && outcome.ended_by.empty();
  const std::vector<std::string> silent =
      multi_host && !completed ? silent_workers(job, kAliveProbe) : std::vector<std::string>{};
  const fs::path output = job.root / "output";
  std::vector<std::string> reports;  // what failing ranks on workers wrote
  if (multi_host) {
    std::vector<std::string> reachable;
    for (const auto& worker : job.workers())
      if (std::find(silent.begin(), silent.end(), worker) == silent.end()) reachable.push_back(worker);
    // Before the markers release the workers, whose instances may then go.
    if (!completed && outcome.stop != StopReason::Signal) reports = read_worker_reports(reachable, output / "failure");
    touch_done_markers(reachable, job, run.done_dir);
  }

  if (completed) {
    write_file_no_follow(output / "success", "");
    return 0;
  }
  if (outcome.stop == StopReason::Signal && outcome.ended_by.empty()) return 128 + outcome.stop_signal;
  const std::string message = master_failure(job, outcome, silent, output / "failure", reports);
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
    std::map<std::string, std::string> vars = Env::from_process().vars();
    for (const auto& [name, value] : job.environment) vars[name] = value;
    const EnvironmentFile file = environment_file(vars);
    std::ofstream out(run.etc_environment, std::ios::app);
    out << file.text;
    if (!out) throw RuntimeFailure(run.etc_environment.string() + ": cannot append the job's environment");
    if (!file.left_out.empty()) {
      std::string names;
      for (const auto& name : file.left_out) names += (names.empty() ? "" : ", ") + name;
      std::cerr << "tandem: not written to " << run.etc_environment.string()
                << " (a line break, a single quote or '#' cannot be carried there; the master's mpirun passes what "
                   "ranks need): "
                << names << std::endl;
    }
  }
  start_sshd(run.sshd);
  HostWatch watch({job.master()}, kSshPort, run.host_watch);
  WorkerWait wait;
  wait.master = job.master();
  wait.done_dir = run.done_dir;
  wait.poll = run.host_poll;
  wait.master_lost = [&]() -> std::string {
    return watch.lost().empty() ? "" : lost_master_reason(job, run.host_watch.limit);
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
