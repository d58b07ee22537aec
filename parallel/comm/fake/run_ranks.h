#pragma once
// Runs a job of N ranks as N threads of this process over the fake backend:
// the unit-test counterpart of `mpirun -np N`.

#include <functional>

#include "parallel/comm/communicator.h"
#include "parallel/comm/fake/fake_communicator.h"

namespace tandem::comm::fake {

using RankBody = std::function<void(int rank, Communicator& world)>;

// Starts one thread per rank of `hub`, each calling body(rank, its own world
// communicator), and joins them. When a rank throws, the hub is aborted (as
// abort_job ends an MPI job), so ranks waiting for it throw too instead of
// hanging; the first exception thrown is rethrown here once all have ended.
// A hub serves one job: its groups keep counting operations across calls.
void run_ranks(Hub& hub, const RankBody& body);
// The same over a fresh hub of `size` ranks.
void run_ranks(int size, const RankBody& body);

}  // namespace tandem::comm::fake
