#pragma once
// The point-to-point link between two ranks of this machine as an alpha-beta
// cost (parallel/cluster_model/cluster_table.h's Link): ping-pong a small and
// a large message through the communicator the runs use, alpha from the
// small one's one-way time, beta from the difference. Also a fixed matmul
// burst with every rank of the world running it at once, alone and beside
// the gradient allreduce: the difference is what the reduction costs
// compute here. `tandem bench` runs it under mpirun with 2 ranks, and with 4
// when a strategy has 4, at the start of each round, as part of its
// profiling pass (how much slower the ranks compute together it measures on
// the model's own step, run/layer_profile.h's ModelStep).

#include "parallel/cluster_model/cluster_table.h"
#include "parallel/comm/communicator.h"

#include <cstddef>

namespace tandem::run {

struct LinkProbe {
  double small_bytes = 0, large_bytes = 0;
  double small_one_way_s = 0, large_one_way_s = 0;  // medians
  // One-way time of a message of `boundary_bytes` (a pipeline stage's output)
  // from the moment it is sent, while the sender computes on, to a receiver
  // that waits for it: what a pipeline's messages take on this machine, where
  // the communicator's thread competes with compute for the cores. The
  // ranks past the first two compute meanwhile.
  double boundary_bytes = 0, busy_sender_one_way_s = 0;
  // A blocking allreduce of `allreduce_bytes` (float32) over the whole world,
  // median: the gradient reduction, with every rank of this machine in it.
  double allreduce_bytes = 0, allreduce_s = 0;
  // The concurrent burst again, with that allreduce started before it and
  // waited for after (as data parallel reduces during backward): beyond
  // concurrent_burst_s, what the reduction costs a step on this machine.
  double burst_with_allreduce_s = 0;
  // A blocking allreduce of one number over the world: what the trainer does
  // every step to agree on a stop request (engine/train/trainer.cpp).
  double host_sync_s = 0;
  // Median over repeats of the slowest rank's burst, every rank bursting at once.
  double concurrent_burst_s = 0;
  cluster::Link link;
};

// Collective over `world` (ranks 0 and 1 exchange; others only wait).
// RuntimeFailure when the world has fewer than two ranks.
LinkProbe probe_link(comm::Communicator& world, int repeats, std::size_t allreduce_bytes, std::size_t boundary_bytes);

// The bandwidth a ring allreduce of `bytes` over `ranks` ranks ran at when it
// took `seconds` with `alpha_s` per ring step (link_costs.h's formula solved for beta).
double ring_allreduce_beta(int ranks, double bytes, double seconds, double alpha_s);

}  // namespace tandem::run
