#pragma once
// The one thread of a process that makes MPI calls (internal to parallel/comm).
//
// Why a thread: the DDP reducer starts a bucket's allreduce while backward keeps
// the main thread busy, and Open MPI advances nonblocking operations only inside
// MPI calls. This thread keeps calling MPI (polling what is in flight) so
// transfers progress while the caller computes.
//
// Ordering invariant: operations start on this thread in exactly the order they
// were submitted, whatever communicator they belong to. Synchronous collectives
// run as blocking MPI calls here, so every rank must submit the collectives of
// all its groups in an order consistent across ranks (as a single-threaded MPI
// program would have to); nonblocking ones (async allreduce, send/recv) only
// need MPI's per-communicator order.
//
// Open MPI is asked for MPI_THREAD_MULTIPLE (so abort_job may call MPI_Abort
// from any thread and a benchmark may call MPI directly); SERIALIZED is enough
// for this design and is the minimum accepted.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "parallel/comm/mpi_c.h"
#include "parallel/comm/work.h"

namespace tandem::comm {

// What a started operation left in flight: requests to poll, and a step to run
// here once all of them completed (e.g. dividing a sum for an average).
struct Posted {
  std::vector<MPI_Request> requests;
  std::function<void()> finish;
};

class MpiThread {
 public:
  // Runs on the MPI thread; may block (a synchronous collective) or post
  // requests and return them. Throws on MPI errors (see check_mpi).
  using Start = std::function<Posted()>;

  MpiThread();

  // Queues `start` behind everything submitted before. `what` names the
  // operation in errors; waits on the returned Work are bounded by `timeout`.
  std::shared_ptr<Work> submit(std::string what, std::chrono::milliseconds timeout, Start start);

  // Lets every submitted operation complete, runs `last` here (MPI_Finalize),
  // and ends the thread. False when that took longer than `timeout`: some
  // operation never completed and the thread is left running.
  bool stop(std::function<void()> last, std::chrono::milliseconds timeout);

  // The operations submitted and not finished, oldest first, for hang reports.
  std::string pending() const;

  // A caller blocked on a Work brackets its wait with these: while anyone
  // waits, the thread tests its requests back to back instead of at its idle
  // polling interval, so a message is taken the moment it lands (a pipeline
  // stage waiting for activations is exactly such a caller).
  void begin_wait();
  void end_wait();

 private:
  struct Operation;
  void run();
  void start(std::unique_ptr<Operation> op);
  bool poll();

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Operation>> queue_;     // submitted, not started
  std::string starting_;                             // being started (maybe blocked in MPI)
  std::vector<std::unique_ptr<Operation>> running_;  // requests in flight
  bool stopping_ = false;
  std::atomic<int> waiters_{0};
  std::function<void()> last_;
  std::promise<void> stopped_;
  std::thread thread_;
};

// The process's MPI thread, started by comm::init(); UsageError before that.
MpiThread& mpi_thread();
// Starts it (runtime.cpp, once). Never destroyed: a thread blocked in a hung
// collective can be neither joined nor safely destructed; abort_job ends it.
MpiThread& start_mpi_thread();
bool mpi_thread_started();

// Throws RuntimeFailure "<call>: <MPI's message>" unless rc is MPI_SUCCESS.
void check_mpi(int rc, const char* call);

}  // namespace tandem::comm
