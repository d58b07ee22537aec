#pragma once
// The strategies `tandem bench` measures, each as the processes it starts and
// the --distribution dict `tandem train` gets, with the same global batch:
//   single           one process
//   data_parallel    every process a replica
//   pipeline_simple  GPipe: all forwards, then all backwards
//   pipeline_1f1b    interleaved (one forward, one backward)
//   virtual_stages   interleaved with 2 chunks per rank
//   zero_bubble      ZB-H1 (backward split into input and weight halves)
//   hybrid_cluster   2 stages x (processes / 2) replicas, placement cluster
//   hybrid_spread    the same, placement spread
// and what the cluster model is asked to predict for each.

#include "parallel/cluster_model/predict.h"

#include <string>
#include <vector>

namespace tandem::launcher {

struct BenchSizes {
  int processes = 2;         // ranks of the pipeline and data-parallel strategies
  int hybrid_processes = 4;  // ranks of the hybrid ones (2 stages x 2 replicas)
  int global_batch = 8;      // examples per optimizer step, every strategy
  int microbatches = 4;      // per pipeline replica
};

struct BenchStrategy {
  std::string name;
  int processes = 1;
  std::string distribution;  // --distribution for tandem train; empty: none (one process)
  int per_device_batch = 0;  // --per_device_train_batch_size: examples per replica
  cluster::Strategy model;   // the same strategy, as the cluster model takes it

  int replicas() const { return processes / model.partitions; }
  // Examples in one microbatch (one whole replica batch without a pipeline).
  int microbatch_examples() const { return per_device_batch / model.microbatches; }
};

// Every strategy's name, in the order above.
std::vector<std::string> bench_strategy_names();

// The strategies named in `selection` (comma-separated; empty: all), in the
// order above. UsageError naming --strategies for an unknown name, and naming
// the size when the global batch does not divide into replicas and
// microbatches.
std::vector<BenchStrategy> bench_strategies(const BenchSizes& sizes, const std::string& selection);

}  // namespace tandem::launcher
