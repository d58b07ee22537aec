#include "run/parallel_plan.h"

#include "engine/error.h"
#include "parallel/pipeline/schedule/simulate.h"
#include "parallel/topology/placement.h"

namespace tandem::run {
namespace {

// tandem's schedules fix how many microbatches are in flight; they take no cap.
// A given active_microbatches at or above that count is met as it is; below it
// the run would not honour it, so it is refused.
void check_active_microbatches(const launcher::ModelParallelParams& mp, const pipeline::ScheduleSpec& spec) {
  if (!mp.given.contains("active_microbatches")) return;
  const int in_flight = pipeline::simulate(pipeline::build_schedule(spec)).peak_in_flight;
  const std::string numbers = "partitions " + std::to_string(spec.pp_size) + ", microbatches " +
                              std::to_string(spec.microbatches);
  if (mp.active_microbatches < in_flight) {
    throw UsageError("mp_parameters: active_microbatches: " + std::to_string(mp.active_microbatches) +
                     " is below the " + std::to_string(in_flight) + " microbatches the " + spec.kind +
                     " schedule keeps in flight (" + numbers +
                     "); tandem's schedules take no cap, so give at least " + std::to_string(in_flight) +
                     " or fewer microbatches");
  }
}

}  // namespace

std::vector<pipeline::LayerWeight> partition_weights(const TransformerModel& model, int block_size,
                                                    double tokens_per_microbatch) {
  // Compute: forward + backward (about 3x forward) flops per token. Memory:
  // fp32 weights, gradients and AdamW's two moments, plus the activations one
  // microbatch stashes.
  std::vector<pipeline::LayerWeight> layers;
  int block_index = 0;
  for (const auto& layer : model.layers()) {
    const LayerCost c = layer->cost(block_size);
    std::string name = layer->kind() == "block" ? "block " + std::to_string(block_index++) : layer->kind();
    layers.push_back({name, 3.0 * c.flops_per_token,
                      16.0 * c.parameters + c.activation_bytes_per_token * tokens_per_microbatch, c.parameters});
  }
  return layers;
}

std::string schedule_kind(const launcher::ModelParallelParams& mp) {
  if (mp.pipeline == "simple") return "simple";
  if (mp.schedule_variant == "zb_h1") return "zb_h1";
  if (mp.schedule_variant == "zb_v") return "zb_v";
  if (mp.virtual_stages > 1) return "interleaved_virtual";
  return "interleaved";
}

std::vector<pipeline::ChunkLayers> stage_layers(const ParallelPlan& plan) {
  std::vector<pipeline::ChunkLayers> layers;
  for (const auto& stage : plan.stages)
    layers.push_back({static_cast<size_t>(stage.begin), static_cast<size_t>(stage.end)});
  return layers;
}

ParallelPlan make_parallel_plan(const launcher::ModelParallelParams& mp, int world_size, int processes_per_host,
                                const TransformerModel& model, int block_size, int per_device_batch) {
  launcher::check_partitions_divide(mp, world_size, std::to_string(world_size) + " processes");
  ParallelPlan plan;
  plan.layout = parallel::make_layout(world_size, mp.pp_size, parallel::parse_placement(mp.placement_strategy),
                                      processes_per_host);
  if (plan.layout.dp_size > 1 && !mp.ddp)
    throw UsageError("mp_parameters: ddp must be True to run " + std::to_string(plan.layout.dp_size) +
                     " data-parallel replicas of the " + std::to_string(mp.pp_size) + "-stage pipeline (" +
                     std::to_string(world_size) + " processes, partitions " + std::to_string(mp.pp_size) + ")");
  if (per_device_batch % mp.microbatches != 0)
    throw UsageError("per_device_train_batch_size " + std::to_string(per_device_batch) +
                     " is not divisible by microbatches " + std::to_string(mp.microbatches));
  plan.schedule = {schedule_kind(mp), mp.pp_size, mp.microbatches, mp.virtual_stages};
  plan.placement = pipeline::placement_of(plan.schedule);
  check_active_microbatches(mp, plan.schedule);

  plan.layers = partition_weights(model, block_size, static_cast<double>(block_size) * per_device_batch / mp.microbatches);
  // Stages in global order (the embedding in stage 0, the head in the last);
  // the placement puts them on ranks — for zb_v rank r runs stages r and
  // 2p-1-r, so the embedding and the head both live on rank 0.
  plan.stages = pipeline::partition_layers(plan.layers, plan.placement.stages(), mp.memory_weight);
  return plan;
}

}  // namespace tandem::run
