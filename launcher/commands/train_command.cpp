// tandem train: the path of one run, top to bottom.
//   hyperparameters -> setup (model shape, task, data) -> model -> executor
//   -> trainer (steps, eval, checkpoints) -> final model.

#include "engine/checkpoint/safetensors.h"
#include "engine/config/train_args.h"
#include "engine/error.h"
#include "engine/model/transformer_model.h"
#include "engine/train/replica_executor.h"
#include "engine/train/stop_signal.h"
#include "engine/train/trainer.h"
#include "engine/train/training_setup.h"
#include "launcher/commands/commands.h"

#include <iostream>

namespace tandem::commands {
namespace {

torch::Device pick_device(const std::string& wanted, int local_rank) {
  if (wanted == "cpu") return torch::kCPU;
  if (wanted == "cuda" || wanted == "auto") {
    if (torch::cuda::is_available()) return torch::Device(torch::kCUDA, local_rank % torch::cuda::device_count());
    if (wanted == "cuda") throw UsageError("--device cuda: no CUDA device is available to this process");
    return torch::kCPU;
  }
  throw UsageError("--device: \"" + wanted + "\" is not one of auto, cpu, cuda");
}

}  // namespace

int train(const std::vector<std::string>& argv) {
  const Environment env = process_environment();
  for (const auto& a : argv)
    if (a == "--help" || a == "-h") {
      std::cout << train_help(env);
      return 0;
    }
  const TrainArgs args = parse_train_args(argv, env);
  if (args.num_threads > 0) torch::set_num_threads(args.num_threads);
  install_stop_handler();

  TrainingSetup setup = prepare_training(args);
  const torch::Device device = pick_device(args.device, 0);
  if (args.bf16 && !device.is_cuda()) throw UsageError("--bf16 True needs a CUDA device; this run is on the CPU");

  SingleProcessWorld world;
  TransformerModel model = TransformerModel::build(setup.model, static_cast<uint64_t>(args.seed));
  if (!setup.pretrained_weights.empty())
    copy_into_parameters(load_safetensors(setup.pretrained_weights), model.named_parameters(), setup.pretrained_weights);
  model.to(device);
  ReplicaExecutor executor(model, world, /*sync=*/nullptr);

  Trainer trainer(args, setup, executor, world, ReplicaSlot{0, 1}, device);
  int steps_done = 0;
  if (args.do_train) {
    const TrainOutcome outcome = trainer.train();
    if (outcome.stopped_early) return 0;
    steps_done = outcome.steps_done;
  }
  if (args.do_eval) trainer.evaluate(steps_done);
  if (args.do_train) trainer.save_model();
  return 0;
}

}  // namespace tandem::commands
