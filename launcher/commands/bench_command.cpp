// tandem bench: the measuring mode (bench_measure.cpp) by default, the
// predicting mode here. `--predict True` reads the job's distribution dict,
// asks the cluster model (parallel/cluster_model/) for that strategy on the
// chosen SageMaker cluster, sweeps the alternatives and recommends one.
// Nothing runs; with --output_dir the sweep is written as
// cluster_prediction.json.

#include "engine/error.h"
#include "engine/model/model_config.h"
#include "launcher/cli/bench_args.h"
#include "launcher/commands/bench_modes.h"
#include "launcher/commands/commands.h"
#include "run/parallel_plan.h"
#include "launcher/distribution/distribution.h"
#include "parallel/cluster_model/report.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace tandem::commands {

cluster::ModelShape model_shape(const std::string& name_or_path) {
  const ModelConfig c = resolve_model_config(name_or_path);
  if (c.family != ModelFamily::Gpt)
    throw UsageError("--model_name_or_path: " + name_or_path + " is an encoder; the cluster model predicts GPT models");
  return {name_or_path, c.n_layer, c.n_head, c.d_model, c.d_ff, c.padded_vocab(), c.max_position, c.tie_embeddings};
}

namespace {

// The written file appears whole or not at all.
void write_json(const std::filesystem::path& dir, const nlohmann::json& json) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw RuntimeFailure("--output_dir: cannot create " + dir.string() + ": " + ec.message());
  const auto target = dir / "cluster_prediction.json";
  const auto partial = dir / "cluster_prediction.json.partial";
  {
    std::ofstream out(partial);
    out << json.dump(2) << "\n";
    if (!out) throw RuntimeFailure("--output_dir: cannot write " + partial.string());
  }
  std::filesystem::rename(partial, target, ec);
  if (ec) throw RuntimeFailure("--output_dir: cannot write " + target.string() + ": " + ec.message());
  std::printf("wrote %s\n", target.string().c_str());
}

}  // namespace

std::string bench_usage() { return launcher::bench_flag_table().help(); }

int bench(const std::vector<std::string>& argv) {
  const launcher::BenchArgs args = launcher::parse_bench_args(argv);
  if (args.probe_link) return bench_link_rank(args);
  launcher::validate_bench_args(args);
  return args.predict ? bench_predict(args) : bench_measure(args);
}

int bench_predict(const launcher::BenchArgs& args) {
  const cluster::ClusterType& cl = cluster::find_cluster(args.cluster);
  const launcher::Distribution dist = launcher::parse_distribution_arg(args.distribution);

  cluster::Job job;
  job.shape = model_shape(args.model);
  job.sequence_length = launcher::block_size_for(args);
  job.instance_count = args.instance_count;
  job.processes_per_host =
      args.processes_per_host.value_or(dist.processes_per_host > 0 ? dist.processes_per_host : cl.gpus_per_host);
  job.calibration = cluster::parse_calibration(args.calibration);
  const int world = job.instance_count * job.processes_per_host;

  cluster::Strategy given;
  if (dist.mp) {
    const auto& mp = *dist.mp;
    launcher::check_partitions_divide(mp, world, std::to_string(world) + " processes (instance_count " +
                                                     std::to_string(job.instance_count) + " x processes_per_host " +
                                                     std::to_string(job.processes_per_host) + ")");
    if (world / mp.pp_size > 1 && !mp.ddp)
      throw UsageError("mp_parameters: ddp must be True to run " + std::to_string(world / mp.pp_size) +
                       " data-parallel replicas of the " + std::to_string(mp.pp_size) + "-stage pipeline");
    given = {run::schedule_kind(mp), mp.pp_size, mp.microbatches, mp.virtual_stages, mp.placement_strategy};
    job.memory_weight = mp.memory_weight;
    for (const std::string& note : mp.notes) std::printf("mp_parameters: %s\n", note.c_str());
  }
  const int replica_batch = args.per_device_train_batch_size.value_or(given.microbatches);
  job.global_batch = replica_batch * (world / given.partitions);

  const cluster::Prediction prediction = cluster::predict(job, given, cl);
  const cluster::Sweep sweep = cluster::sweep(job, cl);
  std::printf("%s\nprediction for the given dict (no run):\n%s\n", cluster::render_cluster(job, cl).c_str(),
              cluster::render_prediction(prediction).c_str());
  std::printf("sweep (global batch %d sequences kept):\n%s\n%s", job.global_batch,
              cluster::render_sweep(sweep, args.sweep_rows).c_str(),
              cluster::render_recommendation(sweep, prediction).c_str());
  if (sweep.recommended >= 0)
    std::printf("\n%s", cluster::render_prediction(sweep.predictions[sweep.recommended]).c_str());
  if (!args.output_dir.empty()) write_json(args.output_dir, cluster::sweep_to_json(job, cl, prediction, sweep));
  return 0;
}

}  // namespace tandem::commands
