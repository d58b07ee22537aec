#include "launcher/supervisor/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "engine/error.h"

extern char** environ;

namespace tandem::launcher {
namespace {

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// NAME=value strings for execve: this process's environment with spec.env on top.
std::vector<std::string> child_environment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> entries;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string text(*entry);
    if (overrides.count(text.substr(0, text.find('='))) == 0) entries.push_back(text);
  }
  for (const auto& [name, value] : overrides) entries.push_back(name + "=" + value);
  return entries;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

std::optional<std::filesystem::path> find_on_path(const std::string& program, const std::string& path_variable) {
  if (program.find('/') != std::string::npos) {
    if (::access(program.c_str(), X_OK) == 0) return std::filesystem::path(program);
    return std::nullopt;
  }
  size_t begin = 0;
  while (begin <= path_variable.size()) {
    const size_t end = std::min(path_variable.find(':', begin), path_variable.size());
    const std::string dir = end > begin ? path_variable.substr(begin, end - begin) : ".";
    const std::filesystem::path candidate = std::filesystem::path(dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate)) return candidate;
    begin = end + 1;
  }
  return std::nullopt;
}

ChildProcess ChildProcess::start(const ChildSpec& spec) {
  if (spec.argv.empty()) throw RuntimeFailure("internal: no program to start");
  const char* path = std::getenv("PATH");
  const auto program = find_on_path(spec.argv[0], path ? path : "/usr/bin:/bin");
  if (!program) throw RuntimeFailure(spec.argv[0] + ": not found on PATH or not executable");
  // Everything exec needs is built before fork: the child only calls
  // async-signal-safe functions.
  std::vector<std::string> argv_strings = spec.argv, env_strings = child_environment(spec.env);
  std::vector<char*> argv = c_strings(argv_strings), envp = c_strings(env_strings);
  const std::string program_path = program->string(), cwd = spec.cwd.string();

  int out[2] = {-1, -1}, err[2] = {-1, -1}, exec_status[2] = {-1, -1};
  if (spec.capture_output && (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)) {
    throw RuntimeFailure("pipe: " + std::string(std::strerror(errno)));
  }
  // Closed by a successful exec; otherwise carries errno back to the parent.
  if (::pipe2(exec_status, O_CLOEXEC) != 0) throw RuntimeFailure("pipe: " + std::string(std::strerror(errno)));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw RuntimeFailure("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    if (spec.own_process_group) {
      ::setpgid(0, 0);
      // A launcher killed outright must not leave its job running.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(127);
    }
    if (spec.capture_output) {
      ::dup2(out[1], STDOUT_FILENO);
      ::dup2(err[1], STDERR_FILENO);
    } else if (spec.quiet) {
      const int null_fd = ::open("/dev/null", O_WRONLY);
      ::dup2(null_fd, STDOUT_FILENO);
      ::dup2(null_fd, STDERR_FILENO);
    }
    int error = 0;
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) error = errno;
    if (error == 0) {
      ::execve(program_path.c_str(), argv.data(), envp.data());
      error = errno;
    }
    (void)!::write(exec_status[1], &error, sizeof error);
    ::_exit(127);
  }
  ::close(exec_status[1]);
  int error = 0;
  const ssize_t got = ::read(exec_status[0], &error, sizeof error);
  ::close(exec_status[0]);
  if (spec.capture_output) {
    ::close(out[1]);
    ::close(err[1]);
  }
  ChildProcess child(pid, out[0], err[0]);
  if (got == static_cast<ssize_t>(sizeof error)) {
    child.wait();
    throw RuntimeFailure(spec.argv[0] + ": cannot start" + (cwd.empty() ? "" : " in " + cwd) + " (" +
                         std::strerror(error) + ")");
  }
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_), out_fd_(other.out_fd_), err_fd_(other.err_fd_), exit_code_(other.exit_code_) {
  other.pid_ = -1;
  other.out_fd_ = other.err_fd_ = -1;
}

ChildProcess::~ChildProcess() {
  close_fd(out_fd_);
  close_fd(err_fd_);
}

std::optional<int> ChildProcess::poll() {
  if (exit_code_ || pid_ < 0) return exit_code_;
  int status = 0;
  const pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done == pid_) exit_code_ = exit_code_of(status);
  return exit_code_;
}

int ChildProcess::wait() {
  while (!exit_code_ && pid_ >= 0) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, 0);
    if (done == pid_) exit_code_ = exit_code_of(status);
    if (done < 0 && errno != EINTR) throw RuntimeFailure("waitpid: " + std::string(std::strerror(errno)));
  }
  return *exit_code_;
}

int run_to_completion(const ChildSpec& spec) { return ChildProcess::start(spec).wait(); }

}  // namespace tandem::launcher
