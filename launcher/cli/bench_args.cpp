// The table of `tandem bench`'s flags and the checks between them.
#include "launcher/cli/bench_args.h"

#include "common/flags/command_line.h"
#include "engine/error.h"

#include <algorithm>

namespace tandem::launcher {
namespace {

// The quick mode's sizes: tiny, so every strategy finishes in seconds.
constexpr int kQuickBlockSize = 32;
constexpr int kQuickMaxSteps = 12;
constexpr int kPredictBlockSize = 1024;
constexpr int kMeasureBlockSize = 128;

flags::FlagTable<BenchArgs> make_table() {
  flags::CommandInfo info("tandem bench", "--output_dir DIR [--quick True] [--strategies a,b] [train flags]...",
                          "measure parallel strategies side by side, or predict a job on a SageMaker GPU cluster");
  info.description =
      "Measuring (default): profiles the model's layers and the point-to-point link here,\n"
      "then runs it with `tandem train` under each strategy (single, data_parallel,\n"
      "pipeline_simple, pipeline_1f1b, virtual_stages, zero_bubble, hybrid_cluster,\n"
      "hybrid_spread) with the same global batch, and writes bench.json, bench.csv,\n"
      "a Chrome trace per strategy and SVG charts to --output_dir, with the cluster\n"
      "model's prediction beside each measurement. Flags not listed here are passed\n"
      "on to every `tandem train` run.\n"
      "With --predict True: predicts the step time, pipeline bubble, intra- and inter-host\n"
      "bytes and memory per GPU of the job's distribution dict on the cluster, sweeps\n"
      "partitions, microbatches, placement, virtual stages and the data-parallel degree,\n"
      "and recommends the fastest strategy that fits. Nothing runs (docs/clusters.md).";
  flags::FlagTable<BenchArgs> t(info);
  using A = BenchArgs;
  t.record_given(&A::explicitly_set);
  t.boolean("predict", &A::predict).default_to("False").help("predict with the cluster model instead of measuring");
  t.text("model_name_or_path", &A::model).default_to("gpt2-124m").help("a GPT preset or a folder with config.json");
  t.integer("block_size", &A::block_size).at_least(1)
      .default_note("1024 with --predict True; measuring 128, or 32 with --quick True").help("tokens per example");
  t.text("output_dir", &A::output_dir).default_to("")
      .help("measuring: where the results go; predicting: where to write cluster_prediction.json (empty: nowhere)");
  // Measuring.
  t.boolean("quick", &A::quick).default_to("False").help("tiny sizes and at most 12 steps: a check in under a minute");
  t.text("strategies", &A::strategies).default_to("").metavar("a,b,...").help("the strategies to measure (empty: all)");
  t.integer("global_batch", &A::global_batch).default_to("8").at_least(1)
      .help("examples per optimizer step, the same for every strategy");
  t.integer("microbatches", &A::microbatches).default_to("4").at_least(1).help("microbatches per pipeline replica");
  t.integer("processes", &A::processes).default_to("2").at_least(2)
      .help("ranks of the data-parallel and pipeline strategies (the hybrids run twice as many)");
  t.integer("max_steps", &A::max_steps).default_to("12").at_least(kWarmupSteps + 1)
      .help("optimizer steps per strategy; the first is warm-up and not measured");
  t.integer("rounds", &A::rounds).default_to("3").at_least(1)
      .help("runs of every strategy, taken in turn; the median round is reported, with the spread");
  t.boolean("probe_link", &A::probe_link).default_to("False")
      .help("internal: run as a rank of the point-to-point probe (bench starts it under mpirun)");
  t.integer("probe_message_bytes", &A::probe_message_bytes).default_to("65536").at_least(1)
      .help("internal: the probe's pipeline message, bytes (bench sets it to a microbatch's activations)");
  // Predicting.
  t.text("cluster", &A::cluster).default_to("ml.p3dn.24xlarge").metavar("instance type")
      .help("--predict: ml.p3dn.24xlarge, ml.p4d.24xlarge or ml.p5.48xlarge");
  t.integer("instance_count", &A::instance_count).default_to("1").at_least(1).help("--predict: hosts");
  t.integer("processes_per_host", &A::processes_per_host).at_least(1)
      .default_note("the dict's mpi.processes_per_host, else the GPUs per host").help("--predict: processes per host");
  t.text("distribution", &A::distribution).metavar("json|file").help("--predict: the estimator's distribution dict");
  t.integer("per_device_train_batch_size", &A::per_device_train_batch_size).at_least(1)
      .default_note("microbatches (1 for data parallel)").help("--predict: examples per replica per step");
  t.choice("calibration", {"eager", "compile"}, &A::calibration).default_to("eager")
      .help("--predict: GPU efficiency from the H200 GPT-2 124M run: PyTorch eager or torch.compile");
  t.integer("sweep_rows", &A::sweep_rows).default_to("10").at_least(1).help("--predict: best strategies printed");
  return t;
}

bool given(const BenchArgs& args, const std::string& name) {
  return std::find(args.explicitly_set.begin(), args.explicitly_set.end(), name) != args.explicitly_set.end();
}

}  // namespace

const flags::FlagTable<BenchArgs>& bench_flag_table() {
  static const flags::FlagTable<BenchArgs> table = make_table();
  return table;
}

BenchArgs parse_bench_args(const std::vector<std::string>& argv) {
  const auto& specs = bench_flag_table().specs();
  std::vector<std::string> own, passed_on;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& token = argv[i];
    const bool flag = token.rfind("--", 0) == 0 && token.size() > 2;
    const std::string key = flag ? token.substr(2, token.find('=') == std::string::npos ? std::string::npos
                                                                                         : token.find('=') - 2)
                                 : "";
    const bool ours = !flag || flags::find_flag(specs, key) >= 0;
    auto& to = ours ? own : passed_on;
    to.push_back(token);
    // The value of `--key value` travels with its key.
    if (flag && token.find('=') == std::string::npos && i + 1 < argv.size() && argv[i + 1].rfind("--", 0) != 0)
      to.push_back(argv[++i]);
  }
  BenchArgs args = bench_flag_table().parse(own);
  args.train_flags = passed_on;
  return args;
}

void validate_bench_args(const BenchArgs& args) {
  if (given(args, "probe_message_bytes"))
    throw UsageError("--probe_message_bytes: internal, only with --probe_link True (bench sets it for its probe)");
  if (args.predict) {
    if (args.distribution.empty())
      throw UsageError("--distribution: required with --predict True (the estimator's dict)");
    if (!args.train_flags.empty())
      throw UsageError("tandem bench --predict True: unknown flag " + args.train_flags.front() +
                       " (see tandem bench --help)");
    for (const char* measuring : {"quick", "strategies", "global_batch", "microbatches", "processes", "max_steps", "rounds"})
      if (given(args, measuring))
        throw UsageError(std::string("--") + measuring +
                         ": only when measuring (--predict True takes the batch and strategy from --distribution)");
    return;
  }
  if (args.output_dir.empty()) throw UsageError("--output_dir: required when measuring (where the results go)");
  for (const char* predicting : {"cluster", "instance_count", "processes_per_host", "distribution",
                                 "per_device_train_batch_size", "calibration", "sweep_rows"})
    if (given(args, predicting))
      throw UsageError(std::string("--") + predicting +
                       ": only with --predict True (measuring sets each strategy's distribution and batch itself)");
  for (const auto& token : args.train_flags) {
    const std::string key = token.substr(2, token.find('=') == std::string::npos ? std::string::npos : token.find('=') - 2);
    for (const char* set_here : {"mp_parameters", "bench_report", "model_dir", "output_data_dir", "save_steps", "do_eval"})
      if (key == set_here)
        throw UsageError("--" + key + ": tandem bench sets it for each strategy's run");
  }
}

int block_size_for(const BenchArgs& args) {
  if (args.block_size) return *args.block_size;
  if (args.predict) return kPredictBlockSize;
  return args.quick ? kQuickBlockSize : kMeasureBlockSize;
}

int steps_for(const BenchArgs& args) {
  return args.quick ? std::min(args.max_steps, kQuickMaxSteps) : args.max_steps;
}

}  // namespace tandem::launcher
