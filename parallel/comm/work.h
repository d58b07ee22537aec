#pragma once
// Handle to an operation a communicator started and has not necessarily finished.

#include <chrono>
#include <optional>
#include <string>

namespace tandem::comm {

class Work {
 public:
  virtual ~Work() = default;
  // Blocks until the operation finished and its result is usable by the caller
  // (host memory written; for NCCL, the compute stream ordered after it).
  // Throws RuntimeFailure when the operation failed or when the communicator's
  // timeout passes first. On MPI a timed-out operation stays posted, so wait()
  // may be called again if the caller knows the peer will still come; NCCL
  // aborts its communicator instead (a hung kernel cannot be left running).
  virtual void wait() = 0;
  // Non-blocking: has the operation finished?
  virtual bool done() = 0;
  // Orders later work on the caller's compute stream after this operation.
  // Device backends (NCCL) do it with a stream wait, leaving the host free to
  // queue more; host backends (MPI) have no streams and wait here.
  virtual void order_compute_after() { wait(); }
  // When the operation completed, as stamped where the communication finished
  // (the MPI thread, the moment MPI reported the requests complete); empty
  // while it runs, and on backends that cannot tell without a host sync
  // (NCCL). The overlap measure uses it so that a bucket is not counted as
  // hidden just because nobody looked at it before backward ended.
  virtual std::optional<std::chrono::steady_clock::time_point> completed_at() { return std::nullopt; }
};

// For operations with nothing to do (zero elements): done from the start, the
// same on every rank, so they never touch the network.
class CompletedWork final : public Work {
 public:
  void wait() override {}
  bool done() override { return true; }
};

// "300 s", "2 s", "0.5 s".
std::string format_seconds(std::chrono::milliseconds duration);

// The message every backend gives when a wait expires, e.g.
// "rank 1 (host abc): allreduce of 4096 float32 timed out after 300 s waiting
//  for peers; a rank may have died or diverged".
std::string timeout_message(const std::string& what, std::chrono::milliseconds timeout);

}  // namespace tandem::comm
