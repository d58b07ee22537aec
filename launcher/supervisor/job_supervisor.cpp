#include "launcher/supervisor/job_supervisor.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <iostream>

#include "launcher/supervisor/process_tree.h"
#include "launcher/supervisor/rank_log.h"
#include "launcher/supervisor/stop_signals.h"

namespace tandem::launcher {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kStderrTailLines = 20;
// After mpirun has exited, how long its output pipes may stay open (held by
// a stray grandchild) before the launcher stops reading them.
constexpr auto kDrainAfterExit = std::chrono::seconds(2);

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct OutputStream {
  int fd;
  bool is_stderr;
  LineSplitter splitter;
};

std::string signal_name(int signal) { return signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : std::to_string(signal); }

}  // namespace

void signal_stop_targets(pid_t root, StopTargets targets, std::vector<pid_t>& already) {
  const auto processes = list_processes();
  for (pid_t pid : targets == StopTargets::Ranks ? innermost_ranks(processes, {root}) : leaves(processes, root)) {
    if (std::find(already.begin(), already.end(), pid) != already.end()) continue;
    ::kill(pid, SIGTERM);
    already.push_back(pid);
  }
}

JobOutcome supervise_job(ChildSpec command, const SupervisorOptions& options,
                         const std::function<void(const std::string& line)>& on_line) {
  catch_stop_signals();
  command.own_process_group = true;
  command.capture_output = true;
  const auto start = Clock::now();
  ChildProcess mpirun = ChildProcess::start(command);
  JobOutcome outcome;
  std::deque<std::string> tail;
  std::vector<OutputStream> streams = {{mpirun.stdout_fd(), false, {}}, {mpirun.stderr_fd(), true, {}}};

  const auto emit = [&](const std::vector<std::string>& lines, bool is_stderr) {
    for (const auto& raw : lines) {
      const std::string line = add_host_to_rank_tag(raw, options.processes_per_host);
      (is_stderr ? std::cerr : std::cout) << line << '\n';
      if (is_stderr) {
        tail.push_back(line);
        if (tail.size() > kStderrTailLines) tail.pop_front();
      }
      on_line(line);
    }
    (is_stderr ? std::cerr : std::cout).flush();
  };

  Clock::time_point stop_time{}, exit_time{};
  std::vector<pid_t> signalled;
  std::optional<int> exit_code;
  while (true) {
    if (!exit_code && (exit_code = mpirun.poll())) exit_time = Clock::now();
    const bool open = std::any_of(streams.begin(), streams.end(), [](const auto& s) { return s.fd >= 0; });
    if (exit_code && (!open || Clock::now() - exit_time > kDrainAfterExit)) break;

    if (outcome.stop == StopReason::None && !exit_code) {
      if (const int signal = stop_signal_received()) {
        outcome.stop = StopReason::Signal;
        outcome.stop_signal = signal;
        std::cerr << "tandem: " << signal_name(signal) << " received: asking every rank to save a checkpoint and exit\n";
      } else if (options.max_run_seconds > 0 && seconds_since(start) >= options.max_run_seconds) {
        outcome.stop = StopReason::MaxRun;
        std::cerr << "tandem: max_run of " << options.max_run_seconds
                  << " s reached: asking every rank to save a checkpoint and exit\n";
      }
      if (outcome.stop != StopReason::None) stop_time = Clock::now();
    }
    if (!exit_code && outcome.ended_by.empty() && options.must_end) {
      outcome.ended_by = options.must_end();
      if (!outcome.ended_by.empty()) {
        std::cerr << "tandem: " << outcome.ended_by << ": ending the job\n";
        for (pid_t pid : descendants(list_processes(), {mpirun.pid()})) ::kill(pid, SIGKILL);
        ::kill(mpirun.pid(), SIGKILL);
      }
    }
    if (outcome.stop != StopReason::None && !exit_code && !outcome.killed_after_grace) {
      if (Clock::now() - stop_time < std::chrono::seconds(options.stop_grace_seconds)) {
        signal_stop_targets(mpirun.pid(), options.stop_targets, signalled);
      } else {
        std::cerr << "tandem: ranks still running " << options.stop_grace_seconds << " s after SIGTERM: killing the job\n";
        for (pid_t pid : descendants(list_processes(), {mpirun.pid()})) ::kill(pid, SIGKILL);
        ::kill(mpirun.pid(), SIGKILL);
        outcome.killed_after_grace = true;
      }
    }

    std::vector<pollfd> fds;
    for (const auto& s : streams)
      if (s.fd >= 0) fds.push_back({s.fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR) break;
    for (const auto& p : fds) {
      if ((p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      auto& stream = *std::find_if(streams.begin(), streams.end(), [&](const auto& s) { return s.fd == p.fd; });
      char buffer[65536];
      const ssize_t got = ::read(stream.fd, buffer, sizeof buffer);
      if (got > 0) {
        emit(stream.splitter.feed(buffer, static_cast<size_t>(got)), stream.is_stderr);
      } else if (got == 0 || errno != EINTR) {
        emit(stream.splitter.finish(), stream.is_stderr);
        stream.fd = -1;  // ChildProcess closes it
      }
    }
  }
  for (auto& s : streams) emit(s.splitter.finish(), s.is_stderr);
  outcome.exit_code = *exit_code;
  outcome.stderr_tail.assign(tail.begin(), tail.end());
  outcome.seconds = seconds_since(start);
  return outcome;
}

}  // namespace tandem::launcher
