#pragma once
// The strategy step of `tandem train`: turns the distribution into the
// executor this rank runs (one replica with data-parallel gradient averaging,
// or one pipeline stage) and the communicators it needs.

#include "engine/config/train_args.h"
#include "engine/model/transformer_model.h"
#include "engine/train/step_executor.h"
#include "engine/train/trainer.h"
#include "launcher/distribution/distribution.h"
#include "parallel/comm/communicator.h"
#include "parallel/ddp/gradient_reducer.h"

#include <memory>
#include <vector>

namespace tandem::commands {

struct ExecutionStrategy {
  std::vector<std::unique_ptr<comm::Communicator>> groups;  // owned; outlive the executor
  std::unique_ptr<ddp::GradientReducer> reducer;
  std::unique_ptr<StepExecutor> executor;
  ReplicaSlot slot;
  std::string description;  // printed at start by rank 0

  ExecutionStrategy() = default;
  ExecutionStrategy(ExecutionStrategy&&) = default;
  ExecutionStrategy& operator=(ExecutionStrategy&&) = delete;
  ~ExecutionStrategy() { release(); }
  // Executor and reducer go before the groups they use.
  void release();
};

ExecutionStrategy make_execution_strategy(const launcher::Distribution& distribution, const TrainArgs& args,
                                          TransformerModel& model, World& world, torch::Device device);

}  // namespace tandem::commands
