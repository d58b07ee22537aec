// The table of `tandem bench`'s flags and the checks between them.
#include "launcher/cli/bench_args.h"

#include "engine/error.h"

namespace tandem::launcher {
namespace {

flags::FlagTable<BenchArgs> make_table() {
  flags::CommandInfo info("tandem bench", "--predict True --cluster TYPE --distribution '<json>'|FILE [--key value]...",
                          "predict a job's step on a SageMaker GPU cluster and recommend a strategy");
  info.description =
      "With --predict True: predicts the step time, pipeline bubble, intra- and inter-host\n"
      "bytes and memory per GPU of the job's distribution dict on the cluster, sweeps\n"
      "partitions, microbatches, placement, virtual stages and the data-parallel degree,\n"
      "and recommends the fastest strategy that fits. Nothing runs (docs/clusters.md).";
  flags::FlagTable<BenchArgs> t(info);
  using A = BenchArgs;
  t.boolean("predict", &A::predict).default_to("False").help("predict with the cluster model instead of measuring");
  t.text("cluster", &A::cluster).default_to("ml.p3dn.24xlarge").metavar("instance type")
      .help("ml.p3dn.24xlarge, ml.p4d.24xlarge or ml.p5.48xlarge");
  t.integer("instance_count", &A::instance_count).default_to("1").at_least(1).help("hosts");
  t.integer("processes_per_host", &A::processes_per_host).at_least(1)
      .default_note("the dict's mpi.processes_per_host, else the GPUs per host").help("processes per host");
  t.text("model_name_or_path", &A::model).default_to("gpt2-124m").help("a GPT preset or a folder with config.json");
  t.text("distribution", &A::distribution).metavar("json|file").help("the estimator's distribution dict");
  t.integer("block_size", &A::block_size).default_to("1024").at_least(1).help("tokens per example");
  t.integer("per_device_train_batch_size", &A::per_device_train_batch_size).at_least(1)
      .default_note("microbatches (1 for data parallel)").help("examples per replica per step");
  t.choice("calibration", {"eager", "compile"}, &A::calibration).default_to("eager")
      .help("GPU efficiency from the H200 GPT-2 124M run: PyTorch eager or torch.compile");
  t.integer("sweep_rows", &A::sweep_rows).default_to("10").at_least(1).help("best strategies printed");
  t.text("output_dir", &A::output_dir).default_to("").help("where to write cluster_prediction.json (empty: nowhere)");
  return t;
}

}  // namespace

const flags::FlagTable<BenchArgs>& bench_flag_table() {
  static const flags::FlagTable<BenchArgs> table = make_table();
  return table;
}

BenchArgs parse_bench_args(const std::vector<std::string>& argv) { return bench_flag_table().parse(argv); }

void validate_bench_args(const BenchArgs& args) {
  if (!args.predict)
    throw UsageError("tandem bench: the measuring mode (running strategies) is not built yet; "
                     "--predict True gives the cluster model's prediction");
  if (args.distribution.empty()) throw UsageError("--distribution: required with --predict True (the estimator's dict)");
}

}  // namespace tandem::launcher
