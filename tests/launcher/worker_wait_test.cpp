// The waits of container mode, with a fake orted and short timeouts.
#include "launcher/container/worker_wait.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "engine/error.h"
#include "launcher/container/tcp_wait.h"
#include "launcher/supervisor/child_process.h"
#include "tests/common/error_matchers.h"
#include "tests/common/temp_dir.h"

namespace tandem::launcher {
namespace {

using namespace std::chrono_literals;

// A copy of sleep under a name unique to this test process, so parallel test
// runs never see each other's daemon.
std::filesystem::path fake_daemon(const TempDir& dir) {
  const auto path = dir.path() / ("orted-" + std::to_string(::getpid() % 100000));
  std::filesystem::copy_file("/bin/sleep", path);
  return path;
}

WorkerWait short_wait(const TempDir& dir, const std::string& daemon) {
  WorkerWait wait;
  wait.master = "algo-1";
  wait.daemon_name = daemon;
  wait.done_dir = dir.path();
  wait.appear_timeout = 5s;
  wait.done_timeout = 5s;
  wait.poll = 50ms;
  return wait;
}

TEST(WorkerWait, WaitsForTheDaemonToComeAndGoThenForTheMastersMarker) {
  const TempDir dir;
  const auto daemon = fake_daemon(dir);
  const WorkerWait wait = short_wait(dir, daemon.filename().string());
  EXPECT_EQ(done_marker(dir.path(), "algo-1"), dir.path() / "done.algo-1");
  // The daemon starts a little late, runs a while; the marker comes after it ends.
  std::thread master([&] {
    std::this_thread::sleep_for(300ms);
    ChildProcess orted = ChildProcess::start(ChildSpec({daemon.string(), "0.6"}));
    orted.wait();  // reaped, as sshd would
    std::this_thread::sleep_for(300ms);
    std::ofstream(done_marker(dir.path(), "algo-1"));
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(wait_as_worker(wait), WorkerEnd::Done);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1200ms);
  master.join();
}

TEST(WorkerWait, NoDaemonInTimeIsAFailureNamingTheMaster) {
  const TempDir dir;
  WorkerWait wait = short_wait(dir, "orted-none");
  wait.appear_timeout = 1s;
  EXPECT_ERROR(wait_as_worker(wait), RuntimeFailure,
               "worker: no orted-none started within 1 s: the master (algo-1) never reached this host with mpirun");
}

TEST(WorkerWait, AMissingMarkerEndsTheWaitAfterItsBound) {
  const TempDir dir;
  const auto daemon = fake_daemon(dir);
  WorkerWait wait = short_wait(dir, daemon.filename().string());
  wait.done_timeout = 300ms;
  ChildProcess orted = ChildProcess::start(ChildSpec({daemon.string(), "0.3"}));
  std::thread reaper([&] { orted.wait(); });
  EXPECT_EQ(wait_as_worker(wait), WorkerEnd::NoDoneMarker);
  reaper.join();
}

// The master lost while this host's orted runs: the orted (and its ranks) are
// killed, since nothing else would end them, and the wait says why it ended.
TEST(WorkerWait, AMasterLostMidJobEndsTheDaemonAndTheWait) {
  const TempDir dir;
  const auto daemon = fake_daemon(dir);
  WorkerWait wait = short_wait(dir, daemon.filename().string());
  ChildProcess orted = ChildProcess::start(ChildSpec({daemon.string(), "30"}));
  const auto start = std::chrono::steady_clock::now();
  wait.master_lost = [&]() -> std::string {
    return std::chrono::steady_clock::now() - start > 300ms ? "the master algo-1 stopped answering" : "";
  };
  std::string reason;
  EXPECT_EQ(wait_as_worker(wait, &reason), WorkerEnd::MasterLost);
  EXPECT_EQ(reason, "the master algo-1 stopped answering");
  EXPECT_EQ(orted.wait(), 128 + SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

// A port that accepts, and one that nobody listens on.
TEST(TcpWait, ReadyPortsPassAndSilentOnesTimeOutByName) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t length = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  const int open_port = ntohs(address.sin_port);
  EXPECT_TRUE(accepts_connections("127.0.0.1", open_port, 1000ms));
  EXPECT_NO_THROW(wait_until_accepting({"127.0.0.1", "localhost"}, open_port, 2s, 50ms, "the workers' sshd"));
  ::close(listener);  // the port is now closed

  EXPECT_FALSE(accepts_connections("127.0.0.1", open_port, 200ms));
  EXPECT_FALSE(accepts_connections("no-such-host.invalid", open_port, 200ms));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_ERROR(wait_until_accepting({"127.0.0.1", "no-such-host.invalid"}, open_port, 1100ms, 100ms, "the workers' sshd"),
               RuntimeFailure,
               "the workers' sshd: 127.0.0.1, no-such-host.invalid did not accept connections on port " +
                   std::to_string(open_port) + " within 1 s");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace tandem::launcher
