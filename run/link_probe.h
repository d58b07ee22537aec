#pragma once
// The point-to-point link between two ranks of this machine as an alpha-beta
// cost (parallel/cluster_model/cluster_table.h's Link): ping-pong a small and
// a large message through the communicator the runs use, alpha from the
// small one's one-way time, beta from the difference. Also how much slower a
// fixed matmul workload runs when n ranks run it at once than when one runs
// it while the others wait: what sharing this machine's cores (and whatever
// else runs on it) costs n ranks. `tandem bench` runs it under mpirun with as
// many ranks as its largest strategy, before the strategies, as part of its
// profiling pass.

#include "parallel/cluster_model/cluster_table.h"
#include "parallel/comm/communicator.h"

#include <map>

namespace tandem::run {

struct LinkProbe {
  double small_bytes = 0, large_bytes = 0;
  double small_one_way_s = 0, large_one_way_s = 0;  // medians
  // A blocking allreduce of one number over the world: what the trainer does
  // every step to agree on a stop request (engine/train/trainer.cpp).
  double host_sync_s = 0;
  // Ranks running at once -> their compute time over one rank's alone (2 and the world's size).
  std::map<int, double> compute_slowdown;
  cluster::Link link;
};

// Collective over `world` (ranks 0 and 1 exchange; others only wait).
// RuntimeFailure when the world has fewer than two ranks.
LinkProbe probe_link(comm::Communicator& world, int repeats);

}  // namespace tandem::run
