#pragma once
// The strategy step of a training run: turns the distribution into the
// executor this rank runs (one replica with data-parallel gradient averaging,
// or one pipeline stage) and the named process groups it needs. `tandem
// train`, the benchmarks and the runtime tests all build their ranks here.

#include "common/rank_coordinates.h"
#include "engine/config/train_args.h"
#include "engine/model/transformer_model.h"
#include "engine/train/step_executor.h"
#include "engine/train/world.h"
#include "launcher/distribution/distribution.h"
#include "parallel/comm/backend.h"
#include "parallel/comm/communicator.h"
#include "parallel/ddp/gradient_reducer.h"
#include "parallel/world/process_groups.h"

#include <memory>
#include <string>

namespace tandem::run {

// Where this rank's groups come from: every process of the job (the world
// group, or a fake world in the tests) and how many of them share a host.
struct JobProcesses {
  comm::Communicator& world;
  int processes_per_host = 1;
};

struct ExecutionStrategy {
  std::unique_ptr<comm::Communicator> device_world;  // on GPUs with NCCL: the world the groups are split from
  parallel::ProcessGroups groups;                    // data parallel: only `data`, over every process
  std::unique_ptr<ddp::GradientReducer> reducer;
  std::unique_ptr<StepExecutor> executor;
  std::string description;  // printed at start by rank 0

  const RankCoordinates& me() const { return groups.me; }

  ExecutionStrategy() = default;
  ExecutionStrategy(ExecutionStrategy&&) = default;
  ExecutionStrategy& operator=(ExecutionStrategy&&) = delete;
  ~ExecutionStrategy() { release(); }
  // Executor and reducer go before the groups they use.
  void release();
};

// MPI moves host memory: with parameters on a GPU and no NCCL, buckets and
// activations are staged through host buffers.
bool host_staging(comm::Backend backend, torch::Device device);

// Collective over `world`: a new group of every process on the backend the
// device calls for (NCCL on GPUs unless staged through host memory, else a
// private copy of `world`), following torch's current stream. Data parallel's
// gradient group, and the world a pipeline's device groups are split from.
std::unique_ptr<comm::Communicator> whole_job_group(comm::Communicator& world, comm::Backend backend,
                                                    torch::Device device);

ExecutionStrategy make_execution_strategy(const launcher::Distribution& distribution, const TrainArgs& args,
                                          TransformerModel& model, World& trainer_world, JobProcesses processes,
                                          torch::Device device);

}  // namespace tandem::run
