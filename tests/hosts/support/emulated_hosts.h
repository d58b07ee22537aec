#pragma once
// SageMaker instances emulated on this machine as Linux namespaces, each with
// its own network stack, host name, /opt/ml, /tmp and processes
// (tests/hosts/test_hosts.sh makes them and says how). A test makes them, runs
// programs inside, breaks them, and they are removed when the object goes,
// also when the test fails. One set exists at a time on the machine: the
// constructor waits for a machine-wide lock, so test runs of different builds
// never share the bridge and names.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tandem::hosts {

// Why hosts cannot be made here (not root, namespaces refused, sshd missing), or "".
std::string why_hosts_unavailable();

// A program started inside a host, in the background; its stdout and stderr
// go to files.
class HostProcess {
 public:
  HostProcess(pid_t pid, std::filesystem::path out, std::filesystem::path err)
      : pid_(pid), out_(std::move(out)), err_(std::move(err)) {}
  HostProcess(HostProcess&& other) noexcept;
  HostProcess(const HostProcess&) = delete;
  ~HostProcess();  // kills it if still running (a failed test must not leave it)

  // The exit code once it has ended (128 + signal when killed), without blocking.
  std::optional<int> poll();
  // Waits up to `limit`; nullopt when it is still running then.
  std::optional<int> wait_for(std::chrono::milliseconds limit);
  std::string out() const;
  std::string err() const;
  // Polls stdout until it holds `text`; false after `limit` or when the process ended.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds limit);

 private:
  pid_t pid_ = -1;  // the nsenter on this machine that waits for the program
  std::filesystem::path out_, err_;
  std::optional<int> exit_code_;
};

struct HostProcessInfo {
  pid_t pid;             // as this machine sees it
  char state;            // R, S, T (stopped), ...
  std::string name;      // /proc/<pid>/comm
  std::string cmdline;   // arguments joined by spaces
};

class EmulatedHosts {
 public:
  // Makes algo-1 .. algo-<count>. RuntimeFailure (std::runtime_error) when the
  // helper fails; call why_hosts_unavailable() first to skip instead.
  explicit EmulatedHosts(int count);
  ~EmulatedHosts();
  EmulatedHosts(const EmulatedHosts&) = delete;
  EmulatedHosts& operator=(const EmulatedHosts&) = delete;

  int count() const { return count_; }
  std::vector<std::string> names() const;
  // A host's /opt/ml as this machine sees it (the test writes the job's files there).
  std::filesystem::path opt_ml(const std::string& host) const;
  // Where background processes' logs go (outside every host).
  const std::filesystem::path& log_dir() const { return log_dir_; }

  // Runs argv inside the host with a container's clean environment plus `env`,
  // and waits for it.
  struct Result {
    int exit_code;
    std::string out, err;
  };
  Result run(const std::string& host, const std::vector<std::string>& argv,
             const std::map<std::string, std::string>& env = {}) const;
  // The same, in the background; logs as <log_dir>/<name>.out and .err.
  HostProcess start(const std::string& host, const std::vector<std::string>& argv,
                    const std::map<std::string, std::string>& env, const std::string& name) const;

  // The host's processes (its init excluded).
  std::vector<HostProcessInfo> processes(const std::string& host) const;
  // SIGKILL to everything on the host but its init: a container whose entry
  // point has exited takes its other processes with it.
  void end_processes(const std::string& host) const;
  // SIGKILL to everything on the host, init included: an instance that crashed.
  void kill_host(const std::string& host) const;
  // SIGSTOP to every process on the host (sshd included), as an instance that
  // hangs; thaw() continues them.
  void freeze(const std::string& host) const;
  void thaw(const std::string& host) const;
  // The host's /usr/sbin/sshd exits at once (as one without host keys does).
  void replace_sshd(const std::string& host) const;
  // The host's network link down or up.
  void set_link(const std::string& host, bool up) const;
  // Bytes the host has received over its link so far.
  uint64_t bytes_received(const std::string& host) const;
  // A tbf limit on every host's link, e.g. "20mbit".
  void limit_bandwidth(const std::string& rate) const;

 private:
  void helper(const std::vector<std::string>& args) const;

  int count_;
  int lock_fd_ = -1;
  std::filesystem::path state_, log_dir_;
};

}  // namespace tandem::hosts
