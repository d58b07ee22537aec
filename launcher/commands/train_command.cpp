// tandem train: the path of one run, top to bottom.
//   hyperparameters and distribution -> processes (MPI) -> setup (model shape,
//   task, data, the checkpoint to resume) -> agreement (every rank holds the
//   same plan, or every rank leaves with the first rank's error) -> model ->
//   strategy (one replica with data-parallel averaging, or a pipeline stage)
//   -> trainer (steps, eval, checkpoints) -> final model. The steps from model
//   to strategy are the run library (run/).

#include "engine/config/train_args.h"
#include "engine/error.h"
#include "engine/train/resume_step.h"
#include "engine/train/stop_signal.h"
#include "engine/train/trainer.h"
#include "engine/train/training_setup.h"
#include "launcher/commands/commands.h"
#include "launcher/env/env.h"
#include "parallel/comm/rank_agreement.h"
#include "parallel/comm/runtime.h"
#include "parallel/world/comm_world.h"
#include "run/bench_report.h"
#include "run/device_choice.h"
#include "run/execution_strategy.h"
#include "run/rank_model.h"
#include "run/run_distribution.h"
#include "run/start_agreement.h"

#include <c10/util/Exception.h>

#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>

namespace tandem::commands {
namespace {

// The launcher says how many ranks it started before MPI does (Open MPI's
// mpirun, or a PMI launcher such as MPICH's).
bool started_as_one_of_several(const launcher::Env& env) {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const auto size = env.get(name); size && std::atoi(size->c_str()) > 1) return true;
  return false;
}

// Runs one part of the setup. Its error is kept in `outcome` instead of
// thrown, so the rank still reaches the agreement. Returns whether it succeeded.
bool set_up(comm::RankSetup& outcome, const std::function<void()>& part) {
  if (outcome.exit_code != 0) return false;
  try {
    part();
    return true;
  } catch (const UsageError& e) {
    outcome = {{}, 2, e.what(), ""};
  } catch (const RuntimeFailure& e) {
    outcome = {{}, 1, e.what(), ""};
  } catch (const c10::Error& e) {
    outcome = {{}, 1, std::string("libtorch: ") + e.what_without_backtrace(), ""};
  } catch (const std::exception& e) {
    outcome = {{}, 1, e.what(), ""};
  }
  return false;
}

}  // namespace

std::string train_usage() { return train_help(launcher::Env::from_process().vars()); }

int train(const std::vector<std::string>& argv) {
  const launcher::Env env = launcher::Env::from_process();
  // Setup: everything a rank does before its first collective. Alone, an
  // error is thrown as it comes; among several ranks it waits for the
  // agreement, which every rank reaches.
  std::optional<TrainArgs> parsed;
  launcher::Distribution distribution;
  comm::RankSetup outcome;
  const bool several = started_as_one_of_several(env);
  const auto parse = [&] {
    parsed = parse_train_args(argv, env.vars());
    distribution = run::resolve_distribution(*parsed, env);
  };
  if (several) set_up(outcome, parse);
  else parse();
  install_stop_handler();

  comm::init();
  const comm::ProcessInfo& process = comm::process_info();
  parallel::CommWorld world(comm::world());

  std::optional<TrainingSetup> prepared;
  const auto prepare = [&] {
    const TrainArgs& args = *parsed;
    if (args.num_threads > 0) torch::set_num_threads(args.num_threads);
    prepared = prepare_training(args);
    int resume_step = kNoCheckpoint;
    if (args.do_train)
      resume_step = find_resume_step(CheckpointStore(args.output_dir, args.save_total_limit), world.is_main(),
                                     world.leads_host(),
                                     [](const std::string& warning) { std::cout << "warning: " << warning << std::endl; });
    outcome.facts = run::training_facts(argv, args, *prepared,
                                        run::data_parallel_degree(distribution, process.world_size), resume_step);
  };
  if (process.world_size > 1) set_up(outcome, prepare);
  else prepare();
  outcome.who = comm::process_label();  // "rank 2 (host algo-2)"
  const std::vector<comm::AgreedFact> agreed = comm::agree_across_ranks(comm::world(), outcome);
  const TrainArgs& args = *parsed;
  TrainingSetup& setup = *prepared;

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
    const TrainOutcome outcome = trainer.train(run::agreed_resume_step(agreed));
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
