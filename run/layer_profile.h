#pragma once
// The profiling pass of `tandem bench`: times, in this process on the CPU,
// every layer's forward, backward and the two halves of the zero-bubble split
// backward (input gradient; weight gradient), at each microbatch size the
// strategies will run, and clip + AdamW over the whole model. The cluster
// model predicts the strategies from these numbers (parallel/cluster_model/
// measured_profile.h), never from the runs it predicts.

#include "engine/model/model_config.h"
#include "parallel/cluster_model/measured_profile.h"

#include <memory>
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

// The whole model's forward (with the loss) and backward on one microbatch,
// as a rank runs it, timed again and again: `tandem bench` times it in its
// own process alone and on every rank of a probe at once, and the ratio is
// how much slower ranks sharing this machine compute.
class ModelStep {
 public:
  ModelStep(const ModelConfig& config, int block_size, int examples, int seed);
  ~ModelStep();
  double seconds();  // one forward and backward

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tandem::run
