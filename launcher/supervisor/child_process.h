#pragma once
// Starting programs from an argv, never through a shell: mpirun, tar, ssh,
// sshd. A value such as `x; touch /tmp/f` stays one argument.

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tandem::launcher {

struct ChildSpec {
  explicit ChildSpec(std::vector<std::string> command) : argv(std::move(command)) {}

  std::vector<std::string> argv;                // argv[0] is looked up on PATH
  std::map<std::string, std::string> env;       // set on top of this process's environment
  std::filesystem::path cwd;                    // empty: this process's
  bool own_process_group = false;               // keeps a terminal's Ctrl-C away from it: the launcher decides
  bool capture_output = false;                  // stdout and stderr through pipes (stdout_fd/stderr_fd)
  bool quiet = false;                           // stdout and stderr to /dev/null
};

class ChildProcess {
 public:
  // RuntimeFailure naming argv[0] when it cannot be started (not found, not executable).
  static ChildProcess start(const ChildSpec& spec);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ~ChildProcess();  // closes the pipes; a child still running is left alone

  pid_t pid() const { return pid_; }
  int stdout_fd() const { return out_fd_; }  // -1 without capture_output
  int stderr_fd() const { return err_fd_; }
  // The exit code once it has ended (128 + signal when killed), without blocking.
  std::optional<int> poll();
  int wait();

 private:
  ChildProcess(pid_t pid, int out_fd, int err_fd) : pid_(pid), out_fd_(out_fd), err_fd_(err_fd) {}
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  std::optional<int> exit_code_;
};

// Starts, waits, returns the exit code.
int run_to_completion(const ChildSpec& spec);

// The full path of `program` on PATH, or nullopt (a name with '/' is checked as given).
std::optional<std::filesystem::path> find_on_path(const std::string& program, const std::string& path_variable);

}  // namespace tandem::launcher
