#include "launcher/commands/execution_strategy.h"

#include "engine/error.h"
#include "engine/train/replica_executor.h"
#include "launcher/commands/parallel_plan.h"
#include "parallel/comm/backend.h"
#include "parallel/comm/runtime.h"
#include "parallel/pipeline/executor/pipeline_executor.h"
#include "parallel/pipeline/schedule/bubble.h"
#include "parallel/topology/layout_report.h"
#include "parallel/world/torch_streams.h"

#include <sstream>

namespace tandem::commands {
namespace {

// MPI moves host memory: with parameters on a GPU and no NCCL, buckets and
// activations are staged through host buffers.
bool host_staging(const TrainArgs& args, torch::Device device) {
  return device.is_cuda() &&
         comm::resolve_backend(comm::parse_backend(args.comm_backend), comm::Memory::Cuda) == comm::Backend::Mpi;
}

ddp::ReducerOptions reducer_options(const TrainArgs& args, torch::Device device) {
  return {static_cast<int64_t>(args.first_bucket_mb * (1 << 20)), static_cast<int64_t>(args.bucket_cap_mb) << 20,
          host_staging(args, device)};
}

// Data parallel over every process (the default under mpirun, and SMDDP).
ExecutionStrategy data_parallel(const TrainArgs& args, TransformerModel& model, World& world, torch::Device device) {
  const auto& process = comm::process_info();
  ExecutionStrategy s;
  if (process.world_size > 1) {
    const bool staged = host_staging(args, device);
    s.groups.push_back(comm::make_communicator(comm::parse_backend(args.comm_backend),
                                               device.is_cuda() && !staged ? comm::Memory::Cuda : comm::Memory::Host,
                                               device.is_cuda() ? device.index() : 0));
    parallel::follow_torch_streams(*s.groups.back());
    s.reducer = std::make_unique<ddp::GradientReducer>(model.parameters(), *s.groups.back(),
                                                       reducer_options(args, device));
  }
  s.executor = std::make_unique<ReplicaExecutor>(model, world, s.reducer.get());
  s.slot = {process.world_rank, process.world_size};
  s.description = process.world_size > 1
                      ? "data parallel over " + std::to_string(process.world_size) + " processes, " +
                            std::to_string(s.reducer->plan().buckets.size()) + " gradient buckets"
                      : "one process";
  return s;
}

// smdistributed.modelparallel: a pipeline of `partitions` stages, replicated
// over the remaining processes when ddp is on.
ExecutionStrategy model_parallel(const launcher::ModelParallelParams& mp, const TrainArgs& args,
                                 TransformerModel& model, torch::Device device) {
  const auto& process = comm::process_info();
  const ParallelPlan plan = make_parallel_plan(mp, process.world_size, process.local_size, model, args.block_size,
                                               args.per_device_train_batch_size);
  const auto& me = plan.layout.ranks[process.world_rank];
  const int p = plan.layout.pp_size;
  ExecutionStrategy s;
  // On GPUs with NCCL every group is an NCCL communicator, split from one over
  // the whole world; otherwise MPI groups (staging GPU tensors through host memory).
  const bool staged = host_staging(args, device);
  std::unique_ptr<comm::Communicator> device_world;
  if (device.is_cuda() && !staged) {
    device_world = comm::make_communicator(comm::parse_backend(args.comm_backend), comm::Memory::Cuda, device.index());
    parallel::follow_torch_streams(*device_world);
  }
  comm::Communicator& world_group = device_world ? *device_world : comm::world();
  s.groups.push_back(world_group.split(me.dp_rank, me.pp_rank));  // this replica's pipeline
  s.groups.push_back(world_group.split(me.pp_rank, me.dp_rank));  // this stage's data-parallel group
  const bool end_stage = me.pp_rank == 0 || me.pp_rank == p - 1;
  s.groups.push_back(world_group.split(end_stage ? me.dp_rank : plan.layout.dp_size + me.rank, me.pp_rank));
  pipeline::PipelineGroups groups{s.groups[0].get(), s.groups[1].get(), s.groups[2].get(),
                                  me.pp_rank,        p,                  me.dp_rank,        plan.layout.dp_size};
  std::vector<pipeline::ChunkLayers> stage_layers;
  for (const auto& st : plan.stages) stage_layers.push_back({static_cast<size_t>(st.begin), static_cast<size_t>(st.end)});
  s.executor = std::make_unique<pipeline::PipelineExecutor>(model, stage_layers, groups, plan.schedule,
                                                            reducer_options(args, device), device);
  s.slot = {me.dp_rank, plan.layout.dp_size};
  std::ostringstream d;
  d << "pipeline: " << p << " partitions × " << plan.layout.dp_size << " data-parallel replicas, schedule "
    << plan.schedule.kind << ", " << mp.microbatches << " microbatches"
    << (mp.virtual_stages > 1 ? ", " + std::to_string(mp.virtual_stages) + " virtual stages" : std::string())
    << ", placement " << mp.placement_strategy << ", theoretical bubble "
    << static_cast<int>(100 * pipeline::theoretical_bubble(plan.schedule) + 0.5) << "%\n"
    << pipeline::render_partition(plan.layers, plan.stages) << parallel::render_rank_table(plan.layout);
  for (const std::string& note : mp.notes) d << "mp_parameters: " << note << "\n";
  s.description = d.str();
  return s;
}

}  // namespace

void ExecutionStrategy::release() {
  executor.reset();
  reducer.reset();
  groups.clear();
}

ExecutionStrategy make_execution_strategy(const launcher::Distribution& distribution, const TrainArgs& args,
                                          TransformerModel& model, World& world, torch::Device device) {
  if (distribution.strategy == launcher::Distribution::Strategy::ModelParallel)
    return model_parallel(*distribution.mp, args, model, device);
  return data_parallel(args, model, world, device);
}

}  // namespace tandem::commands
