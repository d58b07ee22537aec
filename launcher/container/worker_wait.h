#pragma once
// A worker host never starts the program: the master's mpirun reaches it over
// ssh and starts an `orted`, which starts this host's ranks. The worker waits
// for that orted to appear and to exit, then for the master's "done" marker
// (/tmp/done.<master>, which the master touches over ssh after mpirun ends),
// and exits 0 (docs/sagemaker-contract.md §3.8). Every wait is bounded, and a
// SIGTERM meanwhile is passed to the ranks below the orted, as on the master.

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

namespace tandem::launcher {

struct WorkerWait {
  std::string master;                                       // algo-1
  std::string daemon_name = "orted";                        // what mpirun starts on each worker
  std::filesystem::path done_dir = "/tmp";                  // where the master's marker lands
  std::chrono::milliseconds appear_timeout = std::chrono::minutes(20);  // the toolkit's
  std::chrono::milliseconds done_timeout = std::chrono::minutes(10);    // after the orted exits
  std::chrono::milliseconds poll = std::chrono::seconds(1);
  // Asked at every poll: a non-empty answer says the master is gone (see
  // host_watch.h). While the orted runs, it and this host's ranks are then
  // killed, since nothing can end them any more; afterwards the wait for the
  // done marker just ends.
  std::function<std::string()> master_lost;
};

// Done: the master's marker arrived. NoDoneMarker: it did not within
// done_timeout. Stopped: a stop signal came before any orted did.
// MasterLost: master_lost answered (lost_reason says what).
enum class WorkerEnd { Done, NoDoneMarker, Stopped, MasterLost };

// RuntimeFailure when no orted appears within appear_timeout. A missing done
// marker after done_timeout is not a failure of this host (the master decides
// the job's result): it is reported, and the worker exits 0.
WorkerEnd wait_as_worker(const WorkerWait& wait, std::string* lost_reason = nullptr);

// The master's marker: <done_dir>/done.<master>.
std::filesystem::path done_marker(const std::filesystem::path& done_dir, const std::string& master);

}  // namespace tandem::launcher
