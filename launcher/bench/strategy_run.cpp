// One strategy's `tandem train` under mpirun, its output in a log (strategy_run.h).
#include "launcher/bench/strategy_run.h"

#include "engine/error.h"
#include "launcher/mpirun/local_mpirun.h"
#include "launcher/supervisor/child_process.h"

#include <poll.h>
#include <cerrno>
#include <unistd.h>

#include <deque>
#include <fstream>

namespace tandem::launcher {

std::vector<std::string> strategy_command(const BenchStrategy& s, const StrategyRunSpec& spec) {
  std::vector<std::string> program = {spec.tandem_binary.string(), "train"};
  program.insert(program.end(), spec.shared_flags.begin(), spec.shared_flags.end());
  program.insert(program.end(), {"--per_device_train_batch_size", std::to_string(s.per_device_batch),
                                 "--model_dir", (spec.run_dir / "model").string(),
                                 "--output_dir", (spec.run_dir / "checkpoints").string(),
                                 "--output_data_dir", (spec.run_dir / "output").string(),
                                 "--bench_report", (spec.run_dir / "reports").string()});
  if (!s.distribution.empty()) program.insert(program.end(), {"--distribution", s.distribution});
  // One process runs under mpirun too, so every strategy starts the same way.
  return local_mpirun_command(s.processes, {"OMP_NUM_THREADS=1"}, program, Cores::Pinned);
}

int run_logged(const std::vector<std::string>& command, const std::filesystem::path& log) {
  std::ofstream out(log, std::ios::app);
  if (!out) throw RuntimeFailure("bench: cannot write " + log.string());
  ChildSpec spec(command);
  spec.capture_output = true;
  ChildProcess child = ChildProcess::start(spec);
  // Both pipes drained as they fill, so neither stream blocks the child.
  pollfd fds[2] = {{child.stdout_fd(), POLLIN, 0}, {child.stderr_fd(), POLLIN, 0}};
  int open_pipes = 2;
  char buffer[65536];
  while (open_pipes > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (auto& f : fds) {
      if (f.fd < 0 || !(f.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(f.fd, buffer, sizeof buffer);
      if (n > 0) {
        out.write(buffer, n);
      } else {
        f.fd = -1;
        --open_pipes;
      }
    }
  }
  out.flush();
  return child.wait();
}

std::string log_tail(const std::filesystem::path& log, int lines) {
  std::ifstream in(log);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += "  " + l + "\n";
  return out;
}

}  // namespace tandem::launcher
