#pragma once
// Whether the other hosts of a job are still there while it runs. mpirun
// notices a host whose processes died (its ssh and TCP connections close),
// but not one that is cut off or frozen: its ranks' peers then wait in a
// collective until the communication timeout, and mpirun waits for the lost
// host's orted forever after a rank aborts. So the launcher watches for
// itself, as the toolkit's worker checks its master.
//
// A thread connects to each host's sshd every `interval` and waits for its
// banner ("SSH-2.0-..."). The banner matters: a host whose processes are
// stopped still completes the TCP handshake in its kernel, but never sends
// it. A host without an answer for `limit` is lost; one answer clears it.

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tandem::launcher {

// One probe: a connection to host:port that sends the SSH banner within `timeout`.
bool answers_ssh(const std::string& host, int port, std::chrono::milliseconds timeout);

struct HostWatchTiming {
  std::chrono::milliseconds interval = std::chrono::seconds(2);
  std::chrono::milliseconds probe_timeout = std::chrono::seconds(2);
  std::chrono::milliseconds limit = std::chrono::seconds(30);
};

class HostWatch {
 public:
  HostWatch(std::vector<std::string> hosts, int port, HostWatchTiming timing);
  ~HostWatch();  // stops the thread (within one probe timeout)
  HostWatch(const HostWatch&) = delete;
  HostWatch& operator=(const HostWatch&) = delete;

  // The hosts that have not answered for `limit`, in the order given.
  std::vector<std::string> lost() const;
  const HostWatchTiming& timing() const { return timing_; }

 private:
  void run();

  const std::vector<std::string> hosts_;
  const int port_;
  const HostWatchTiming timing_;
  mutable std::mutex mutex_;
  std::map<std::string, std::chrono::steady_clock::time_point> last_answer_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace tandem::launcher
