#pragma once
// The profiling pass of `tandem bench`: times, in this process on the CPU,
// every layer's forward, backward and the two halves of the zero-bubble split
// backward (input gradient; weight gradient), at each microbatch size the
// strategies will run, and clip + AdamW over the whole model. The cluster
// model predicts the strategies from these numbers (parallel/cluster_model/
// measured_profile.h), never from the runs it predicts.

#include "engine/model/model_config.h"
#include "parallel/cluster_model/measured_profile.h"

#include <vector>

namespace tandem::run {

struct ProfileRequest {
  ModelConfig model;
  int block_size = 0;
  std::vector<int> microbatch_examples;  // each size the strategies use
  int repeats = 3;                       // timed runs per measurement; the median counts
  int seed = 0;
};

cluster::MeasuredProfile profile_layers(const ProfileRequest& request);

}  // namespace tandem::run
