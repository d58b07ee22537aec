#include "tests/hosts/support/emulated_hosts.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tandem::hosts {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

const char* kHelper = TANDEM_SOURCE_DIR "/tests/hosts/test_hosts.sh";
// One set of hosts per machine: the bridge, the names and the address range are global.
const char* kLockFile = "/run/lock/tandem-test-hosts.lock";
constexpr auto kLockWait = std::chrono::minutes(10);

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

// fork + exec with stdout and stderr to files; stdin from /dev/null.
pid_t spawn(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err) {
  std::vector<std::string> strings = argv;
  std::vector<char*> pointers;
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed starting " + argv.front());
  if (pid == 0) {
    const int in_fd = ::open("/dev/null", O_RDONLY);
    const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0) ::_exit(126);
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::execv(pointers[0], pointers.data());
    ::_exit(127);
  }
  return pid;
}

std::vector<std::string> in_host(const std::string& host, const std::vector<std::string>& argv,
                                 const std::map<std::string, std::string>& env) {
  std::vector<std::string> command = {kHelper, "run", host};
  if (!env.empty()) {
    command.push_back("env");
    for (const auto& [name, value] : env) command.push_back(name + "=" + value);
  }
  command.insert(command.end(), argv.begin(), argv.end());
  return command;
}

}  // namespace

std::string why_hosts_unavailable() {
  const fs::path dir = fs::temp_directory_path();
  const fs::path out = dir / ("tandem-hosts-can-" + std::to_string(::getpid()));
  const pid_t pid = spawn({kHelper, "can"}, out, out.string() + ".err");
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::string why = trimmed(slurp(out) + slurp(out.string() + ".err"));
  fs::remove(out);
  fs::remove(out.string() + ".err");
  if (exit_code_of(status) == 0) return "";
  return why.empty() ? "test_hosts.sh can failed" : why;
}

HostProcess::HostProcess(HostProcess&& other) noexcept
    : pid_(other.pid_), out_(std::move(other.out_)), err_(std::move(other.err_)), exit_code_(other.exit_code_) {
  other.pid_ = -1;
}

HostProcess::~HostProcess() {
  if (pid_ > 0 && !poll()) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::optional<int> HostProcess::poll() {
  if (exit_code_ || pid_ < 0) return exit_code_;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) exit_code_ = exit_code_of(status);
  return exit_code_;
}

std::optional<int> HostProcess::wait_for(std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!poll() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return exit_code_;
}

std::string HostProcess::out() const { return slurp(out_); }
std::string HostProcess::err() const { return slurp(err_); }

bool HostProcess::wait_for_output(const std::string& text, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (out().find(text) != std::string::npos) return true;
    if (poll()) return out().find(text) != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

EmulatedHosts::EmulatedHosts(int count) : count_(count) {
  lock_fd_ = ::open(kLockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) throw std::runtime_error(std::string(kLockFile) + ": cannot open the emulated hosts' lock");
  const auto deadline = Clock::now() + kLockWait;
  while (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (Clock::now() > deadline) {
      ::close(lock_fd_);
      throw std::runtime_error(std::string(kLockFile) + ": another run has held the emulated hosts for 10 minutes");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  state_ = "/var/tmp/tandem-test-hosts";
  log_dir_ = "/var/tmp/tandem-test-hosts-logs";
  fs::remove_all(log_dir_);
  fs::create_directories(log_dir_);
  try {
    helper({"up", std::to_string(count), state_.string()});
  } catch (...) {
    ::close(lock_fd_);  // the helper cleaned up after itself or left what the next `up` removes
    throw;
  }
}

EmulatedHosts::~EmulatedHosts() {
  try {
    helper({"down"});
  } catch (const std::exception&) {
    // The next `up` removes whatever is left.
  }
  std::error_code ec;
  fs::remove_all(log_dir_, ec);
  ::close(lock_fd_);  // releases the lock
}

void EmulatedHosts::helper(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {kHelper};
  argv.insert(argv.end(), args.begin(), args.end());
  const fs::path out = log_dir_ / "helper.out", err = log_dir_ / "helper.err";
  int status = 0;
  ::waitpid(spawn(argv, out, err), &status, 0);
  if (exit_code_of(status) != 0) {
    std::string command;
    for (const auto& a : args) command += " " + a;
    throw std::runtime_error("test_hosts.sh" + command + " failed: " + trimmed(slurp(err)));
  }
}

std::vector<std::string> EmulatedHosts::names() const {
  std::vector<std::string> names;
  for (int i = 1; i <= count_; ++i) names.push_back("algo-" + std::to_string(i));
  return names;
}

fs::path EmulatedHosts::opt_ml(const std::string& host) const { return state_ / host / "opt" / "ml"; }

EmulatedHosts::Result EmulatedHosts::run(const std::string& host, const std::vector<std::string>& argv,
                                         const std::map<std::string, std::string>& env) const {
  static int serial = 0;
  const std::string name = "run-" + std::to_string(++serial);
  const fs::path out = log_dir_ / (name + ".out"), err = log_dir_ / (name + ".err");
  int status = 0;
  ::waitpid(spawn(in_host(host, argv, env), out, err), &status, 0);
  return {exit_code_of(status), slurp(out), slurp(err)};
}

HostProcess EmulatedHosts::start(const std::string& host, const std::vector<std::string>& argv,
                                 const std::map<std::string, std::string>& env, const std::string& name) const {
  const fs::path out = log_dir_ / (name + ".out"), err = log_dir_ / (name + ".err");
  return HostProcess(spawn(in_host(host, argv, env), out, err), out, err);
}

std::vector<HostProcessInfo> EmulatedHosts::processes(const std::string& host) const {
  const fs::path out = log_dir_ / "pids.out", err = log_dir_ / "pids.err";
  int status = 0;
  ::waitpid(spawn({kHelper, "pids", host}, out, err), &status, 0);
  if (exit_code_of(status) != 0) throw std::runtime_error("test_hosts.sh pids " + host + ": " + trimmed(slurp(err)));
  std::vector<HostProcessInfo> found;
  std::istringstream lines(slurp(out));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    HostProcessInfo info{static_cast<pid_t>(std::stol(line)), '?', "", ""};
    const fs::path proc = "/proc/" + line;
    const std::string stat = slurp(proc / "stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) continue;  // it ended meanwhile
    info.state = stat[close + 2];
    if (info.state == 'Z') continue;
    info.name = trimmed(slurp(proc / "comm"));
    info.cmdline = slurp(proc / "cmdline");
    for (auto& c : info.cmdline)
      if (c == '\0') c = ' ';
    info.cmdline = trimmed(info.cmdline);
    found.push_back(info);
  }
  return found;
}

void EmulatedHosts::end_processes(const std::string& host) const {
  for (int round = 0; round < 50; ++round) {
    const auto left = processes(host);
    if (left.empty()) return;
    for (const auto& p : left) ::kill(p.pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error(host + ": processes keep running after SIGKILL");
}

void EmulatedHosts::kill_host(const std::string& host) const { helper({"kill", host}); }

void EmulatedHosts::freeze(const std::string& host) const { helper({"freeze", host}); }

void EmulatedHosts::thaw(const std::string& host) const { helper({"thaw", host}); }

void EmulatedHosts::replace_sshd(const std::string& host) const { helper({"break-sshd", host}); }

void EmulatedHosts::set_link(const std::string& host, bool up) const { helper({"link", host, up ? "up" : "down"}); }

uint64_t EmulatedHosts::bytes_received(const std::string& host) const {
  // The bridge side's transmit counter is what the host's eth0 receives.
  const std::string counter = slurp("/sys/class/net/tdmh-" + host + "/statistics/tx_bytes");
  if (counter.empty()) throw std::runtime_error(host + ": no link counters (is the host up?)");
  return std::stoull(counter);
}

void EmulatedHosts::limit_bandwidth(const std::string& rate) const { helper({"limit", rate}); }

}  // namespace tandem::hosts
