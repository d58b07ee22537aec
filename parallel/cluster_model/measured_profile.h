#pragma once
// Per-layer times measured on this machine, in place of flops at a calibrated
// efficiency: what `tandem bench` predicts its own runs from. A profiling
// pass (run/layer_profile.h) times every layer's forward, backward and the
// two halves of the split backward at each microbatch size the strategies
// use, and AdamW's step per parameter; the layers carry the engine's own
// partition weights, so the prediction cuts stages as the run does.

#include <map>
#include <vector>

#include "parallel/pipeline/partition/partitioner.h"

namespace tandem::cluster {

struct MeasuredLayer {
  double forward_s = 0, backward_s = 0, backward_input_s = 0, backward_weight_s = 0;
};

struct MeasuredProfile {
  // Tokens per microbatch -> every layer's times (embedding, blocks, norm, head),
  // scaled so they sum to the whole model's forward and backward.
  std::map<int, std::vector<MeasuredLayer>> layers_at_tokens;
  // Tokens per microbatch -> the whole model's forward (with the loss) and backward, as one graph.
  std::map<int, MeasuredLayer> whole_model_at_tokens;
  // The engine's partition weights per layer at one token per microbatch
  // (run/parallel_plan.h), so predict() cuts the stages the run cuts.
  std::vector<pipeline::LayerWeight> partition_per_token;
  std::vector<double> activation_bytes_per_token;  // per layer, for the partition's memory term
  double optimizer_s_per_parameter = 0;  // clip + AdamW, measured over the whole model
  double step_sync_s = 0;                // the trainer's blocking stop-request allreduce, once per step
  double boundary_value_bytes = 4;       // an activation's element between stages (float32 on the CPU)
  // How much slower the job's ranks compute than the profiling process alone,
  // beyond the cores' sharing below, set per prediction by the caller that
  // knows the job's size (`tandem bench` leaves it at 1 and gives the cores).
  double compute_scale = 1;
  // How much slower clip + AdamW runs with every rank of the job stepping at
  // once, cores shared included (`tandem bench` sets ceil(ranks / cores)).
  // Below 0: compute_scale, with the cores' sharing below.
  double optimizer_scale = -1;
  // Where the job's ranks are pinned to this machine's cores (`tandem bench`
  // pins rank r to core r mod cores): how many cores, and entry k-1 how much
  // slower a core computes while k cores compute (memory bandwidth, caches;
  // entry 0 is 1). Ranks on one core take turns. Data parallelism and the
  // optimizer, where every rank computes at once, scale by the fullest core's
  // ranks times the slowdown at the cores in use; a pipeline's actions are
  // scaled one by one by the simulator (pipeline::CoreSharing). Both on top
  // of compute_scale. cores 0: none of this.
  int cores = 0;
  std::vector<double> slowdown_with_busy_cores;
};

// The layer times at `tokens` per microbatch: the measured point, or the
// nearest one scaled linearly in tokens. UsageError when the profile is empty
// or its layer count differs from `layers`.
std::vector<MeasuredLayer> measured_layers_at(const MeasuredProfile& profile, double tokens, int layers);

// The partition weights at `tokens` per microbatch (memory: parameters and
// optimizer state plus the stashed activations of one microbatch).
std::vector<pipeline::LayerWeight> measured_partition(const MeasuredProfile& profile, double tokens);

}  // namespace tandem::cluster
