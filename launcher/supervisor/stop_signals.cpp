#include "launcher/supervisor/stop_signals.h"

#include <signal.h>

#include <atomic>

namespace tandem::launcher {
namespace {

std::atomic<int> g_stop_signal{0};

extern "C" void record_stop_signal(int signal) {
  int none = 0;
  g_stop_signal.compare_exchange_strong(none, signal);
}

}  // namespace

void catch_stop_signals() {
  struct sigaction action {};
  action.sa_handler = record_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

int stop_signal_received() { return g_stop_signal.load(); }

}  // namespace tandem::launcher
