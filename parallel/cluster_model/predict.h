#pragma once
// The cluster model: one training step of a job under one strategy on a
// SageMaker cluster, predicted without running it. Per-layer times come from
// flops at a calibrated efficiency (layer_costs.h, cluster_table.h); the
// pipeline's timing, bubble and activations in flight come from the schedule
// simulator (parallel/pipeline/schedule/simulate.h); transfers from the
// alpha-beta link costs (link_costs.h); placement from parallel/topology.
//
// Step time = max over pipeline ranks (its last compute + its stage's
// data-parallel allreduce) + the tied-embedding exchange + the optimizer of
// the fullest rank (+ the trainer's per-step stop agreement, measured
// profiles only); with pure data parallelism the allreduce overlaps
// backward except the embedding's bucket, which is ready last and reduced
// alone. With a measured profile (measured_profile.h) the layer times are the
// measured ones, scaled by its compute_scale.

#include <string>
#include <vector>

#include "parallel/cluster_model/cluster_table.h"
#include "parallel/cluster_model/layer_costs.h"
#include "parallel/cluster_model/measured_profile.h"

namespace tandem::cluster {

struct Job {
  ModelShape shape;
  int sequence_length = 0;   // tokens per example (--block_size)
  int global_batch = 0;      // examples per optimizer step, all replicas together
  int instance_count = 0;
  int processes_per_host = 0;
  double memory_weight = 0.2;  // the partitioner's (SMP's optimize / memory_weight)
  Calibration calibration = Calibration::Eager;
  // Layer times measured on this machine instead of flops at the calibrated
  // efficiency, and the optimizer's time (0 without a profile); not owned.
  const MeasuredProfile* measured = nullptr;
};

struct Strategy {
  // "data_parallel", or a schedule kind: "simple", "interleaved",
  // "interleaved_virtual", "zb_h1" (parallel/pipeline/schedule/schedule.h).
  std::string kind = "data_parallel";
  int partitions = 1;
  int microbatches = 1;
  int virtual_stages = 1;
  std::string placement = "cluster";  // "cluster" or "spread"

  // e.g. "interleaved p=4 m=4 spread", "data_parallel", "interleaved_virtual p=2 v=2 m=8 cluster".
  std::string label() const;
};

struct Prediction {
  Strategy strategy;
  int world_size = 0, dp_size = 0;
  double step_s = 0;
  double tokens_per_second = 0;
  double compute_s = 0;           // busiest rank's forward and backward time
  double pipeline_s = 0;          // the schedule's makespan (compute, transfers, waits)
  double allreduce_s = 0;         // gradient exchange after the pipeline (or exposed, data parallel)
  double optimizer_s = 0;         // clip and AdamW on the fullest rank (measured profiles only)
  double bubble = 0;              // simulated idle share of the pipeline (0 for data parallel)
  double bubble_theory = 0;       // the schedule's unit-cost bubble (bubble.h)
  // Per microbatch and chunk: forward, backward (input, weight), activation transfer.
  double forward_s = 0, backward_s = 0, backward_input_s = 0, backward_weight_s = 0, p2p_s = 0;
  double intra_host_bytes = 0, inter_host_bytes = 0;  // sent per step, all ranks
  double memory_bytes = 0;        // the fullest rank
  double memory_limit_bytes = 0;  // 90% of the GPU's memory
  bool fits = false;
  double parameters_fullest = 0;  // parameters on the fullest rank
  int peak_stashed = 0;           // microbatch activations it holds at once
  double efficiency = 0;          // calibrated share of the GPU's peak
};

// Sustained flop/s of the GPU: its peak times the calibrated efficiency.
double calibrated_efficiency(Calibration calibration);

// Throws UsageError naming the input when the job or the strategy cannot run
// on the cluster (instance_count below 1, partitions not dividing the world,
// a batch not divisible, more stages than layers, ...).
void check_job(const Job& job);
Prediction predict(const Job& job, const Strategy& strategy, const ClusterType& cluster);

}  // namespace tandem::cluster
