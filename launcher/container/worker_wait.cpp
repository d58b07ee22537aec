#include "launcher/container/worker_wait.h"

#include <signal.h>

#include <thread>
#include <vector>

#include "engine/error.h"
#include "launcher/supervisor/job_supervisor.h"
#include "launcher/supervisor/process_tree.h"
#include "launcher/supervisor/stop_signals.h"

namespace tandem::launcher {
namespace {

using Clock = std::chrono::steady_clock;

long whole_seconds(std::chrono::milliseconds d) { return static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(d).count()); }

}  // namespace

std::filesystem::path done_marker(const std::filesystem::path& done_dir, const std::string& master) {
  return done_dir / ("done." + master);
}

WorkerEnd wait_as_worker(const WorkerWait& wait, std::string* lost_reason) {
  catch_stop_signals();
  const auto started = Clock::now();
  // The master's answer, when it says the master is gone.
  const auto master_gone = [&]() {
    const std::string reason = wait.master_lost ? wait.master_lost() : "";
    if (!reason.empty() && lost_reason != nullptr) *lost_reason = reason;
    return !reason.empty();
  };
  std::vector<pid_t> daemons;
  while ((daemons = processes_named(list_processes(), wait.daemon_name)).empty()) {
    if (stop_signal_received()) return WorkerEnd::Stopped;
    if (master_gone()) return WorkerEnd::MasterLost;
    if (Clock::now() - started > wait.appear_timeout) {
      throw RuntimeFailure("worker: no " + wait.daemon_name + " started within " +
                           std::to_string(whole_seconds(wait.appear_timeout)) + " s: the master (" + wait.master +
                           ") never reached this host with mpirun; its log says why");
    }
    std::this_thread::sleep_for(wait.poll);
  }
  // This host's ranks run below the daemons until mpirun ends.
  std::vector<pid_t> signalled;
  while (!(daemons = processes_named(list_processes(), wait.daemon_name)).empty()) {
    if (stop_signal_received())
      for (pid_t daemon : daemons) signal_stop_targets(daemon, StopTargets::Ranks, signalled);
    if (master_gone()) {
      const auto processes = list_processes();
      for (pid_t pid : descendants(processes, daemons)) ::kill(pid, SIGKILL);
      for (pid_t daemon : daemons) ::kill(daemon, SIGKILL);
      return WorkerEnd::MasterLost;
    }
    std::this_thread::sleep_for(wait.poll);
  }
  const auto marker = done_marker(wait.done_dir, wait.master);
  const auto ended = Clock::now();
  while (!std::filesystem::exists(marker)) {
    // This host's ranks have ended: a master gone by now is no failure here.
    if (Clock::now() - ended > wait.done_timeout || stop_signal_received() || master_gone()) {
      return WorkerEnd::NoDoneMarker;
    }
    std::this_thread::sleep_for(wait.poll);
  }
  return WorkerEnd::Done;
}

}  // namespace tandem::launcher
