#pragma once
// Runs the job's mpirun and stays with it to the end, as the SageMaker
// platform and toolkit do around a training container:
//   - streams its output, rank tags rewritten to name the host (rank_log.h),
//     handing each line to a callback (metric regexes);
//   - a stop (SIGTERM or SIGINT to the launcher, or max_run reached) sends
//     SIGTERM to every rank process itself, so each saves a checkpoint at its
//     next step boundary and exits; mpirun then ends on its own. Ranks still
//     running stop_grace_seconds later are killed, as SageMaker's SIGKILL
//     after 120 s would.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "launcher/supervisor/child_process.h"

namespace tandem::launcher {

// SageMaker's window between SIGTERM and SIGKILL (StopTrainingJob, max_run).
constexpr int kStopGraceSeconds = 120;

// Who receives the stop request's SIGTERM: the MPI ranks below mpirun, or,
// for a program started without mpirun, the innermost processes of its tree.
enum class StopTargets { Ranks, Leaves };

struct SupervisorOptions {
  int processes_per_host = 1;                   // for the host in rank tags
  int max_run_seconds = 0;                      // 0: no limit
  int stop_grace_seconds = kStopGraceSeconds;
  StopTargets stop_targets = StopTargets::Ranks;
  // Asked several times a second while the job runs. A non-empty answer says
  // why the job cannot go on (a host of it was lost): mpirun and every
  // process below it are killed at once, since ranks waiting on a lost peer
  // could not even save a checkpoint, and the answer becomes outcome.ended_by.
  std::function<std::string()> must_end;
};

enum class StopReason { None, Signal, MaxRun };

struct JobOutcome {
  int exit_code = 0;                            // mpirun's (128 + signal when killed)
  StopReason stop = StopReason::None;
  int stop_signal = 0;                          // with StopReason::Signal
  bool killed_after_grace = false;
  std::string ended_by;                         // must_end's answer when it ended the job
  std::vector<std::string> stderr_tail;         // the last lines on stderr, for a failure message
  double seconds = 0;
};

// `command` is started in its own process group (a terminal's Ctrl-C reaches
// only the launcher, which then stops the ranks as above). on_line gets every
// line of stdout and stderr after the tag rewrite.
JobOutcome supervise_job(ChildSpec command, const SupervisorOptions& options,
                         const std::function<void(const std::string& line)>& on_line);

// SIGTERM to the stop targets below `root` that are not in `already` (added
// to it): repeated, a stop request also reaches ranks that started late.
void signal_stop_targets(pid_t root, StopTargets targets, std::vector<pid_t>& already);

}  // namespace tandem::launcher
