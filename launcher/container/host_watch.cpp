#include "launcher/container/host_watch.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tandem::launcher {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Connects fd to `address` by `deadline`.
bool connect_by(int fd, const addrinfo& address, Clock::time_point deadline) {
  if (::connect(fd, address.ai_addr, address.ai_addrlen) == 0) return true;
  if (errno != EINPROGRESS) return false;
  pollfd p{fd, POLLOUT, 0};
  int error = 0;
  socklen_t length = sizeof error;
  return ::poll(&p, 1, remaining_ms(deadline)) == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 &&
         error == 0;
}

// Reads until the peer has sent `prefix`, by `deadline`.
bool receives_prefix(int fd, const std::string& prefix, Clock::time_point deadline) {
  std::string got;
  while (got.size() < prefix.size()) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) != 1) return false;
    char buffer[64];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return false;
    got.append(buffer, static_cast<size_t>(n));
  }
  return got.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

bool answers_ssh(const std::string& host, int port, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return false;
  bool answered = false;
  for (addrinfo* a = found; a != nullptr && !answered; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    answered = connect_by(fd, *a, deadline) && receives_prefix(fd, "SSH-", deadline);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return answered;
}

HostWatch::HostWatch(std::vector<std::string> hosts, int port, HostWatchTiming timing)
    : hosts_(std::move(hosts)), port_(port), timing_(timing) {
  // The hosts answered the wait before the job; the clock starts now.
  const auto now = Clock::now();
  for (const auto& host : hosts_) last_answer_[host] = now;
  if (!hosts_.empty()) thread_ = std::thread([this] { run(); });
}

HostWatch::~HostWatch() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> HostWatch::lost() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> lost;
  const auto now = Clock::now();
  for (const auto& host : hosts_)
    if (now - last_answer_.at(host) > timing_.limit) lost.push_back(host);
  return lost;
}

void HostWatch::run() {
  while (!stop_) {
    const auto round = Clock::now();
    for (const auto& host : hosts_) {
      if (stop_) return;
      if (answers_ssh(host, port_, timing_.probe_timeout)) {
        std::lock_guard<std::mutex> lock(mutex_);
        last_answer_[host] = Clock::now();
      }
    }
    // Sleep in short slices, so the destructor never waits long.
    while (!stop_ && Clock::now() - round < timing_.interval) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace tandem::launcher
