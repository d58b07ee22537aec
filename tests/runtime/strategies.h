#pragma once
// What `tandem train` builds for one rank (launcher/commands/execution_strategy.cpp),
// over a fake world instead of comm::world() and comm::process_info(): the
// same groups, split in the same order, and the same executors.

#include "engine/train/replica_executor.h"
#include "engine/train/trainer.h"
#include "launcher/commands/parallel_plan.h"
#include "launcher/distribution/model_parallel.h"
#include "parallel/ddp/gradient_reducer.h"
#include "parallel/pipeline/executor/pipeline_executor.h"

#include <memory>
#include <vector>

namespace tandem::runtime_tests {

struct RankStrategy {
  std::vector<std::unique_ptr<comm::Communicator>> groups;
  std::unique_ptr<ddp::GradientReducer> reducer;
  std::unique_ptr<StepExecutor> executor;
  ReplicaSlot slot;
  parallel::RankCoordinates me;  // model parallel only

  RankStrategy() = default;
  RankStrategy(RankStrategy&&) = default;
  // Executor and reducer go before the groups they use.
  ~RankStrategy() {
    executor.reset();
    reducer.reset();
    groups.clear();
  }
};

// data_parallel(): a replica of the whole model, gradients averaged over a
// group of its own (small buckets, so there are several).
inline RankStrategy data_parallel(comm::Communicator& world, TransformerModel& model, World& trainer_world) {
  RankStrategy s;
  if (world.size() > 1) {
    s.groups.push_back(world.split(0, world.rank()));
    s.reducer = std::make_unique<ddp::GradientReducer>(model.parameters(), *s.groups.back(),
                                                       ddp::ReducerOptions{64 << 10, 256 << 10});
  }
  s.executor = std::make_unique<ReplicaExecutor>(model, trainer_world, s.reducer.get());
  s.slot = {world.rank(), world.size()};
  return s;
}

// model_parallel(): this rank's pipeline, data-parallel and tied-pair groups, and its stage.
inline RankStrategy model_parallel(const commands::ParallelPlan& plan, comm::Communicator& world,
                                   TransformerModel& model) {
  RankStrategy s;
  s.me = plan.layout.ranks[world.rank()];
  const auto& me = s.me;
  const int p = plan.layout.pp_size;
  s.groups.push_back(world.split(me.dp_rank, me.pp_rank));  // this replica's pipeline
  s.groups.push_back(world.split(me.pp_rank, me.dp_rank));  // this stage's data-parallel group
  const bool end_stage = me.pp_rank == 0 || me.pp_rank == p - 1;
  s.groups.push_back(world.split(end_stage ? me.dp_rank : plan.layout.dp_size + me.rank, me.pp_rank));
  pipeline::PipelineGroups groups{s.groups[0].get(), s.groups[1].get(), s.groups[2].get(),
                                  me.pp_rank,        p,                  me.dp_rank,        plan.layout.dp_size};
  std::vector<pipeline::ChunkLayers> stage_layers;
  for (const auto& st : plan.stages)
    stage_layers.push_back({static_cast<size_t>(st.begin), static_cast<size_t>(st.end)});
  s.executor = std::make_unique<pipeline::PipelineExecutor>(model, stage_layers, groups, plan.schedule,
                                                            ddp::ReducerOptions{}, torch::kCPU);
  s.slot = {me.dp_rank, plan.layout.dp_size};
  return s;
}

}  // namespace tandem::runtime_tests
