// tandem train: the path of one run, top to bottom.
//   hyperparameters and distribution -> processes (MPI) -> setup (model shape,
//   task, data) -> model -> strategy (one replica with data-parallel
//   averaging, or a pipeline stage) -> trainer (steps, eval, checkpoints)
//   -> final model. The steps from model to strategy are the run library (run/).

#include "engine/config/train_args.h"
#include "engine/error.h"
#include "engine/train/stop_signal.h"
#include "engine/train/trainer.h"
#include "engine/train/training_setup.h"
#include "launcher/commands/commands.h"
#include "launcher/env/env.h"
#include "parallel/comm/consistency.h"
#include "parallel/comm/runtime.h"
#include "parallel/world/comm_world.h"
#include "run/bench_report.h"
#include "run/device_choice.h"
#include "run/execution_strategy.h"
#include "run/rank_model.h"
#include "run/run_distribution.h"

#include <iostream>

namespace tandem::commands {
namespace {

// Everything that must be identical on every rank, as text: ranks launched
// with different arguments or models fail at start instead of hanging later.
std::string run_fingerprint(const std::vector<std::string>& argv, const ModelConfig& model) {
  std::string s = config_to_hf_json(model).dump();
  for (const auto& a : argv) s += " " + a;
  return s;
}

}  // namespace

std::string train_usage() { return train_help(launcher::Env::from_process().vars()); }

int train(const std::vector<std::string>& argv) {
  const launcher::Env env = launcher::Env::from_process();
  const TrainArgs args = parse_train_args(argv, env.vars());
  const launcher::Distribution distribution = run::resolve_distribution(args, env);
  if (args.num_threads > 0) torch::set_num_threads(args.num_threads);
  install_stop_handler();

  comm::init();
  const comm::ProcessInfo& process = comm::process_info();
  parallel::CommWorld world(comm::world());

  TrainingSetup setup = prepare_training(args);
  comm::check_same_across_ranks(comm::world(), "training configuration (arguments and model)",
                                run_fingerprint(argv, setup.model));
  const torch::Device device = run::pick_device(args.device, process.local_rank);
  std::string notice;
  TransformerModel model = run::build_rank_model(setup, args, device, &notice);
  if (world.is_main() && !notice.empty()) std::cout << notice << std::endl;
  // cuBLAS and cuDNN use TF32 only where the GPU has it, so the flag is safe on any CUDA device.
  if (device.is_cuda()) {
    at::globalContext().setAllowTF32CuBLAS(args.tf32);
    at::globalContext().setAllowTF32CuDNN(args.tf32);
  } else if (args.was_set("tf32") && world.is_main()) {
    std::cout << "--tf32 has no effect on the CPU" << std::endl;
  }
  run::ExecutionStrategy strategy =
      run::make_execution_strategy(distribution, args, model, world, {comm::world(), process.local_size}, device);
  if (world.is_main()) std::cout << strategy.description << std::endl;
  // Dropout masks differ between replicas, as they would between the
  // examples of one large batch.
  torch::manual_seed(static_cast<uint64_t>(args.seed) + 1 + process.world_rank);

  Trainer trainer(args, setup, *strategy.executor, world, strategy.me(), device);
  run::start_bench_report(args.bench_report);
  int steps_done = 0;
  bool stopped = false;
  if (args.do_train) {
    const TrainOutcome outcome = trainer.train();
    stopped = outcome.stopped_early;
    steps_done = outcome.steps_done;
  }
  run::write_bench_report(args.bench_report, strategy.me(), process.world_size, process.hostname);
  if (!stopped) {
    if (args.do_eval) trainer.evaluate(steps_done);
    if (args.do_train) trainer.save_model();
  }
  strategy.release();
  comm::finalize();
  return 0;
}

}  // namespace tandem::commands
