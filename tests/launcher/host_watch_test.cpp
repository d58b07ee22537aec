// The host watch of container mode against loopback servers: one that
// answers as sshd does, one whose process is stopped (the kernel accepts the
// connection, nobody sends the banner), and a closed port.
#include "launcher/container/host_watch.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace tandem::launcher {
namespace {

using namespace std::chrono_literals;

// A listening socket on 127.0.0.1; with `banner`, a thread accepts every
// connection and sends it, as sshd does.
class Server {
 public:
  explicit Server(bool banner) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::listen(fd_, 64), 0);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    if (banner) {
      thread_ = std::thread([this] {
        while (!stop_) {
          const int client = ::accept(fd_, nullptr, nullptr);
          if (client < 0) return;
          const char text[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
          (void)!::write(client, text, sizeof text - 1);
          ::close(client);
        }
      });
    }
  }
  ~Server() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }

 private:
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(HostWatch, OnlyAServerThatSendsTheSshBannerAnswers) {
  const Server sshd(/*banner=*/true), stopped(/*banner=*/false);
  EXPECT_TRUE(answers_ssh("127.0.0.1", sshd.port(), 1000ms));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(answers_ssh("127.0.0.1", stopped.port(), 300ms));  // connected, then silence
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
  int closed_port = 0;
  {
    const Server gone(false);
    closed_port = gone.port();
  }
  EXPECT_FALSE(answers_ssh("127.0.0.1", closed_port, 300ms));
}

HostWatchTiming quick() {
  HostWatchTiming timing;
  timing.interval = 50ms;
  timing.probe_timeout = 100ms;
  timing.limit = 400ms;
  return timing;
}

TEST(HostWatch, AHostIsLostOnlyAfterTheLimitWithoutAnAnswer) {
  const Server stopped(/*banner=*/false);
  const HostWatch watch({"127.0.0.1"}, stopped.port(), quick());
  EXPECT_TRUE(watch.lost().empty());  // silence shorter than the limit is no loss
  std::this_thread::sleep_for(700ms);
  EXPECT_EQ(watch.lost(), std::vector<std::string>{"127.0.0.1"});
}

TEST(HostWatch, AnAnsweringHostIsNeverLost) {
  const Server sshd(/*banner=*/true);
  const HostWatch watch({"127.0.0.1", "localhost"}, sshd.port(), quick());
  std::this_thread::sleep_for(700ms);
  EXPECT_TRUE(watch.lost().empty());
}

}  // namespace
}  // namespace tandem::launcher
