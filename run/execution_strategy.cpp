#include "run/execution_strategy.h"

#include "engine/error.h"
#include "engine/train/replica_executor.h"
#include "parallel/comm/backend.h"
#include "parallel/pipeline/executor/pipeline_executor.h"
#include "parallel/pipeline/schedule/bubble.h"
#include "parallel/topology/layout_report.h"
#include "parallel/world/torch_streams.h"
#include "run/parallel_plan.h"

#include <sstream>

namespace tandem::run {
namespace {

bool host_staging(const TrainArgs& args, torch::Device device) {
  return run::host_staging(comm::parse_backend(args.comm_backend), device);
}

ddp::ReducerOptions reducer_options(const TrainArgs& args, torch::Device device) {
  return {static_cast<int64_t>(args.first_bucket_mb * (1 << 20)), static_cast<int64_t>(args.bucket_cap_mb) << 20,
          host_staging(args, device)};
}

std::unique_ptr<comm::Communicator> whole_job_group(comm::Communicator& world, const TrainArgs& args,
                                                    torch::Device device) {
  return run::whole_job_group(world, comm::parse_backend(args.comm_backend), device);
}

// Data parallel over every process (the default under mpirun, and SMDDP): the
// layout of one-stage pipelines, whose data-parallel group is the whole job.
ExecutionStrategy data_parallel(const TrainArgs& args, TransformerModel& model, World& trainer_world,
                                JobProcesses processes, torch::Device device) {
  comm::Communicator& world = processes.world;
  const parallel::ParallelLayout layout =
      parallel::make_layout(world.size(), 1, parallel::parse_placement("cluster"), processes.processes_per_host);
  ExecutionStrategy s;
  s.groups.me = layout.ranks[world.rank()];
  if (world.size() > 1) {
    s.groups.data = whole_job_group(world, args, device);
    s.reducer = std::make_unique<ddp::GradientReducer>(model.parameters(), *s.groups.data,
                                                       reducer_options(args, device));
  }
  s.executor = std::make_unique<ReplicaExecutor>(model, trainer_world, s.reducer.get());
  s.description = world.size() > 1 ? "data parallel over " + std::to_string(world.size()) + " processes, " +
                                         std::to_string(s.reducer->layout().buckets.size()) + " gradient buckets"
                                   : "one process";
  return s;
}

std::string describe(const launcher::ModelParallelParams& mp, const ParallelPlan& plan) {
  std::ostringstream d;
  d << "pipeline: " << plan.layout.pp_size << " partitions × " << plan.layout.dp_size
    << " data-parallel replicas, schedule " << plan.schedule.kind << ", " << mp.microbatches << " microbatches"
    << (mp.virtual_stages > 1 ? ", " + std::to_string(mp.virtual_stages) + " virtual stages" : std::string())
    << ", placement " << mp.placement_strategy << ", theoretical bubble "
    << static_cast<int>(100 * pipeline::theoretical_bubble(plan.schedule) + 0.5) << "%\n"
    << pipeline::render_partition(plan.layers, plan.stages) << parallel::render_rank_table(plan.layout);
  for (const std::string& note : mp.notes) d << "mp_parameters: " << note << "\n";
  return d.str();
}

// smdistributed.modelparallel: a pipeline of pp_size stages (SMP's
// `partitions`), replicated over the remaining processes when ddp is on.
ExecutionStrategy model_parallel(const launcher::ModelParallelParams& mp, const TrainArgs& args,
                                 TransformerModel& model, JobProcesses processes, torch::Device device) {
  comm::Communicator& world = processes.world;
  const ParallelPlan plan = make_parallel_plan(mp, world.size(), processes.processes_per_host, model,
                                               args.block_size, args.per_device_train_batch_size);
  ExecutionStrategy s;
  // On GPUs with NCCL every group is an NCCL communicator, split from one over
  // the whole job; otherwise MPI groups (staging GPU tensors through host memory).
  if (device.is_cuda() && !host_staging(args, device)) s.device_world = whole_job_group(world, args, device);
  s.groups = parallel::make_process_groups(s.device_world ? *s.device_world : world, plan.layout);
  s.executor = std::make_unique<pipeline::PipelineExecutor>(model, stage_layers(plan), s.groups, plan.schedule,
                                                            reducer_options(args, device), device);
  s.description = describe(mp, plan);
  return s;
}

}  // namespace

bool host_staging(comm::Backend backend, torch::Device device) {
  return device.is_cuda() && comm::resolve_backend(backend, comm::Memory::Cuda) == comm::Backend::Mpi;
}

std::unique_ptr<comm::Communicator> whole_job_group(comm::Communicator& world, comm::Backend backend,
                                                    torch::Device device) {
  const bool on_device = device.is_cuda() && !host_staging(backend, device);
  auto group = comm::make_communicator(world, backend, on_device ? comm::Memory::Cuda : comm::Memory::Host,
                                       device.is_cuda() ? device.index() : 0);
  parallel::follow_torch_streams(*group);
  return group;
}

void ExecutionStrategy::release() {
  executor.reset();
  reducer.reset();
  groups.tied_embedding.reset();
  groups.data.reset();
  groups.pipeline.reset();
  device_world.reset();
}

ExecutionStrategy make_execution_strategy(const launcher::Distribution& distribution, const TrainArgs& args,
                                          TransformerModel& model, World& trainer_world, JobProcesses processes,
                                          torch::Device device) {
  if (distribution.strategy == launcher::Distribution::Strategy::ModelParallel)
    return model_parallel(*distribution.mp, args, model, processes, device);
  return data_parallel(args, model, trainer_world, processes, device);
}

}  // namespace tandem::run
