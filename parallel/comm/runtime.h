#pragma once
// The process's place in the job: MPI start-up and shutdown, the world group,
// and who runs where as MPI reports it (host names, processes per host). Where
// a rank sits in the parallel layout is RankCoordinates (common/), computed
// from these facts by parallel/topology/layout.h.

#include <string>
#include <vector>

#include "parallel/comm/communicator.h"

namespace tandem::comm {

struct ProcessInfo {
  int world_rank = 0;
  int world_size = 1;
  int local_rank = 0;  // among the processes on this host; selects the GPU
  int local_size = 1;
  std::string hostname;
  std::vector<std::string> host_of_rank;  // indexed by world rank
};

// Starts the MPI thread and MPI itself (a singleton world of one when the
// process was not started by mpirun), then gathers ProcessInfo. Idempotent;
// collective over the world. Throws RuntimeFailure when MPI lacks thread support.
void init();
// Lets pending operations finish and finalises MPI. If they do not finish
// within the default timeout, a rank has hung: the job is aborted (abort_job).
// No-op when init() never ran; init() cannot run again afterwards.
void finalize();
bool initialized();

const ProcessInfo& process_info();  // UsageError before init()
// Every process; its timeout starts at default_timeout().
Communicator& world();

// "rank 1 (host abc)", or "process 4242 (host abc)" before init(): the prefix
// of every error this layer raises.
std::string process_label();

// Prints "tandem: rank 1 (host abc): aborting the job: <reason>" to stderr and
// calls MPI_Abort so mpirun ends every rank (it does not wait for the MPI
// thread, which may be stuck in a hung collective). Use it when a wait timed
// out or a rank cannot go on: the other ranks would otherwise hang.
[[noreturn]] void abort_job(const std::string& reason);

}  // namespace tandem::comm
