#pragma once
// From a model-parallel configuration to the concrete plan every rank follows:
// the rank grid (placement), the schedule, and the cut of the layer list into
// stages. `tandem train` executes it; `tandem plan` prints it.

#include "engine/model/transformer_model.h"
#include "launcher/distribution/model_parallel.h"
#include "parallel/pipeline/executor/pipeline_executor.h"
#include "parallel/pipeline/partition/partitioner.h"
#include "parallel/pipeline/schedule/schedule.h"
#include "parallel/topology/layout.h"

#include <vector>

namespace tandem::run {

struct ParallelPlan {
  parallel::ParallelLayout layout;
  pipeline::ScheduleSpec schedule;
  std::vector<pipeline::LayerWeight> layers;
  std::vector<pipeline::StageSpan> stages;  // partitions × virtual_stages, in global stage order
  pipeline::StagePlacement placement;       // which rank and chunk runs each of those stages
};

// Throws UsageError naming the parameter when the configuration cannot run on
// `world_size` processes (partitions not dividing it, hybrid without ddp, a
// batch not divisible by microbatches, more stages than layers, ...).
ParallelPlan make_parallel_plan(const launcher::ModelParallelParams& mp, int world_size, int processes_per_host,
                                const TransformerModel& model, int block_size, int per_device_batch);

// The layers of every global stage, as the pipeline executor takes them.
std::vector<pipeline::ChunkLayers> stage_layers(const ParallelPlan& plan);

// The partitioner's weight of every layer: compute per token, and memory for
// its parameters, gradients and AdamW state plus one microbatch's stash.
std::vector<pipeline::LayerWeight> partition_weights(const TransformerModel& model, int block_size,
                                                    double tokens_per_microbatch);

// SMP's `pipeline` and tandem's virtual_stages / zero_bubble to a schedule kind
// (zero_bubble with virtual_stages 2 is the V-shaped zb_v).
std::string schedule_kind(const launcher::ModelParallelParams& mp);

}  // namespace tandem::run
