#include "engine/train/stop_signal.h"

#include <atomic>
#include <csignal>

namespace tandem {
namespace {
std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop.store(true); }
}  // namespace

void install_stop_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  // Past a file-size limit (ulimit -f) write() then fails with EFBIG, which a
  // checkpoint reports in one line, instead of the signal killing the process.
  std::signal(SIGXFSZ, SIG_IGN);
}

bool stop_requested() { return g_stop.load(); }
void request_stop() { g_stop.store(true); }

}  // namespace tandem
