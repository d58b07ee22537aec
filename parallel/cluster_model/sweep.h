#pragma once
// The strategies a job could run on a cluster, each predicted, and the one to
// pick: the fastest step among those whose fullest rank fits its GPU; equal
// steps go to fewer inter-host bytes, then to less memory. The global batch
// stays the job's whatever the data-parallel degree, as in `tandem train`.

#include <vector>

#include "parallel/cluster_model/predict.h"

namespace tandem::cluster {

// Every (partitions, kind, virtual stages, microbatches, placement) the
// schedules accept on this world: partitions dividing the world (so the
// data-parallel degree is world / partitions, partitions 1 being pure data
// parallelism), microbatches 1, 2, 4 ... up to the replica batch and dividing
// it, virtual stages 2 and 4 while there are layers for every chunk, and both
// placements when there is more than one replica.
std::vector<Strategy> sweep_strategies(const Job& job);

struct Sweep {
  std::vector<Prediction> predictions;  // in sweep_strategies' order, the ones that can run
  int recommended = -1;                 // index into predictions; -1 when nothing fits
};

// The order above: true when a is the better pick.
bool better(const Prediction& a, const Prediction& b);

Sweep sweep(const Job& job, const ClusterType& cluster);

}  // namespace tandem::cluster
