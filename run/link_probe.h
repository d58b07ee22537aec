#pragma once
// The point-to-point link between two ranks of this machine as an alpha-beta
// cost (parallel/cluster_model/cluster_table.h's Link): ping-pong a small and
// a large message through the communicator the runs use, alpha from the
// small one's one-way time, beta from the difference. Also the time of a
// fixed matmul burst when every rank of the world runs it at once: over the
// same burst in one process alone (compute_burst_seconds), it is what sharing
// this machine's cores (and whatever else runs on it) costs that many ranks.
// `tandem bench` runs it under mpirun with 2 ranks, and with 4 when a
// strategy has 4, before the strategies, as part of its profiling pass.

#include "parallel/cluster_model/cluster_table.h"
#include "parallel/comm/communicator.h"


namespace tandem::run {

struct LinkProbe {
  double small_bytes = 0, large_bytes = 0;
  double small_one_way_s = 0, large_one_way_s = 0;  // medians
  // A blocking allreduce of one number over the world: what the trainer does
  // every step to agree on a stop request (engine/train/trainer.cpp).
  double host_sync_s = 0;
  // Median over repeats of the slowest rank's burst, every rank bursting at once.
  double concurrent_burst_s = 0;
  cluster::Link link;
};

// Collective over `world` (ranks 0 and 1 exchange; others only wait).
// RuntimeFailure when the world has fewer than two ranks.
LinkProbe probe_link(comm::Communicator& world, int repeats);

// The same burst in this process alone: the median of `repeats`.
double compute_burst_seconds(int repeats);

}  // namespace tandem::run
