#pragma once
// An in-process communicator backend for unit tests: N "ranks" are threads of
// one process, each holding its own FakeCommunicator over a shared Hub, in the
// manner of LevelDB's fault-injection Env or torchtitan's fake process group.
// Runtime classes (reducer, pipeline executor, trainer, checkpoints) then run
// under test in milliseconds, without mpirun. End-to-end tests keep mpirun.
//
// What it keeps of the real backends:
//  - the Communicator interface and its argument checks (communicator.h);
//  - every operation is asynchronous and returns a Work; a wait is bounded by
//    the group's timeout and throws timeout_message(), like MPI's;
//  - collectives match by call order per group, reduce host memory of every
//    DType (float16/bfloat16 widened to float, rounded once per pair, as the
//    MPI backend's ops do), in rank order, so every rank gets the same bits;
//  - point-to-point matches per (source, destination, tag) in posting order,
//    MPI's non-overtaking rule; a send completes only when a receive took its
//    data (rendezvous, the strictest protocol MPI may use, so code that would
//    deadlock on large messages deadlocks here too);
//  - split(color, key) with MPI_Comm_split's semantics and world ranks.
// What it adds: a check that ranks call the same collective (kind, count,
// dtype, op, root) at the same position, failing every rank's wait instead
// of corrupting memory; per-rank delays and injected failures; abort(), the
// in-process stand-in for abort_job: every pending and later wait throws.
// What it does not model: ordering constraints across groups (the MPI backend
// runs a process's operations on one thread in submission order), device
// memory and streams, MPI's int count limit.
//
// Nothing here touches MPI or the process-global runtime (comm::init()).

#include <chrono>
#include <memory>
#include <string>

#include "parallel/comm/communicator.h"

namespace tandem::comm::fake {

struct HubState;
namespace detail {
struct GroupState;
}

class Hub {
 public:
  explicit Hub(int size);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  int size() const;
  // The world group as seen by `rank`: each rank's thread takes its own.
  std::unique_ptr<Communicator> world(int rank);
  // The timeout of world groups made from now on (default_timeout() otherwise).
  void set_timeout(std::chrono::milliseconds timeout);

  // Fault injection, to set before the ranks start.
  // `rank` sleeps this long before starting each operation (a slow rank).
  void delay_operations(int rank, std::chrono::milliseconds delay);
  // The `nth` operation `rank` starts (1-based, counted over all its groups;
  // collectives, point-to-point batches and splits) fails: its wait throws
  // RuntimeFailure naming `reason`, and it never reaches the peers.
  void fail_operation(int rank, int nth, std::string reason = "injected failure");
  // Operations `rank` has started so far (to aim fail_operation).
  int operations_started(int rank) const;

  // Ends the job, as abort_job does under mpirun: every pending and later
  // wait, on every rank, throws RuntimeFailure naming `reason`. Idempotent:
  // the first reason stays.
  void abort(const std::string& reason);
  bool aborted() const;

 private:
  std::shared_ptr<HubState> state_;
  std::shared_ptr<detail::GroupState> world_;  // shared by every rank's world communicator
};

}  // namespace tandem::comm::fake
