#include "launcher/container/tcp_wait.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "engine/error.h"
#include "launcher/supervisor/stop_signals.h"

namespace tandem::launcher {

bool accepts_connections(const std::string& host, int port, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  // Host names may resolve late in a starting cluster: a failed lookup is "not yet".
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return false;
  bool connected = false;
  for (addrinfo* a = found; a != nullptr && !connected; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      connected = true;
    } else if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int error = 0;
      socklen_t length = sizeof error;
      connected = ::poll(&p, 1, static_cast<int>(timeout.count())) == 1 &&
                  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return connected;
}

void wait_until_accepting(const std::vector<std::string>& hosts, int port, std::chrono::milliseconds timeout,
                          std::chrono::milliseconds poll, const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<std::string> waiting = hosts;
  while (true) {
    std::vector<std::string> still;
    for (const auto& host : waiting)
      if (!accepts_connections(host, port, std::min(poll, std::chrono::milliseconds(1000)))) still.push_back(host);
    waiting = still;
    if (waiting.empty()) return;
    std::string names;
    for (const auto& host : waiting) names += (names.empty() ? "" : ", ") + host;
    if (stop_signal_received()) throw RuntimeFailure("stopped while waiting for " + what + " (" + names + ")");
    if (std::chrono::steady_clock::now() >= deadline) {
      throw RuntimeFailure(what + ": " + names + " did not accept connections on port " + std::to_string(port) +
                           " within " + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
                           " s (is sshd running there, and the host name resolvable?)");
    }
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace tandem::launcher
