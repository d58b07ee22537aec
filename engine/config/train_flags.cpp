// The table of `tandem train`'s flags: the only place their defaults, ranges
// and help lines are written.
#include "engine/config/train_args.h"

#include "engine/error.h"

#include <algorithm>
#include <filesystem>

namespace tandem {
namespace {

// The output_dir default: SageMaker syncs /opt/ml/checkpoints to S3 when the
// job sets checkpoint_s3_uri, so use it whenever it exists. The /opt/ml is
// the one SM_MODEL_DIR lies in: `tandem launch --local` emulates one per host
// and must never write into the machine's real /opt/ml.
std::string checkpoint_folder(const Environment& env) {
  std::filesystem::path ml_root = "/opt/ml";
  if (const auto model_dir = env.find("SM_MODEL_DIR"); model_dir != env.end() && !model_dir->second.empty()) {
    std::filesystem::path model = std::filesystem::path(model_dir->second).lexically_normal();
    if (!model.has_filename()) model = model.parent_path();  // "…/model/"
    ml_root = model.parent_path();
  }
  const std::filesystem::path folder = ml_root / "checkpoints";
  std::error_code ec;
  return std::filesystem::is_directory(folder, ec) ? folder.string() : "checkpoints";
}

flags::FlagTable<TrainArgs> make_table() {
  flags::CommandInfo info("tandem train", "[--key value]...", "train or evaluate a model (the SageMaker entry point)");
  info.description =
      "Trains (or evaluates) a transformer. Every flag takes a value, booleans as True or False,\n"
      "as SageMaker passes hyperparameters. Defaults shown are those in effect here.";
  info.flag_noun = "hyperparameter";
  flags::FlagTable<TrainArgs> t(info);
  using A = TrainArgs;
  t.record_given(&A::explicitly_set);
  // Where things are.
  t.text("model_dir", &A::model_dir).alias("model-dir").default_from_env("SM_MODEL_DIR", "model")
      .help("final model (config.json, model.safetensors)");
  t.text("training_dir", &A::training_dir).alias("train_dir").alias("train-dir")
      .default_from_env("SM_CHANNEL_TRAIN", "data/train").help("training channel: .txt, .jsonl or llm.c .bin files");
  t.text("test_dir", &A::test_dir).alias("test-dir").default_from_env("SM_CHANNEL_TEST", "data/test")
      .help("evaluation channel (skipped when the default folder is absent)");
  t.text("output_data_dir", &A::output_data_dir).alias("output-data-dir")
      .default_from_env("SM_OUTPUT_DATA_DIR", "output/data").help("metrics.jsonl and other artefacts");
  t.text("output_dir", &A::output_dir).default_by(checkpoint_folder)
      .help("checkpoint-<step>/ folders; the newest is resumed at start");
  // What to train.
  t.text("model_name_or_path", &A::model_name_or_path).alias("model-name-or-path").default_to("gpt-tiny")
      .help("preset (gpt-tiny, gpt-mini, gpt2-124m, encoder-tiny, distilbert-base) or a folder with config.json");
  t.choice("task", {"lm", "classification", "auto"}, &A::task).default_to("auto")
      .help("the objective; auto takes it from the model (lm for decoders, classification for encoders)");
  t.integer("block_size", &A::block_size).alias("block-size").default_to("128").at_least(1).help("tokens per example");
  // How long.
  t.number("epochs", &A::epochs).alias("num_train_epochs").default_to("1").at_least(0)
      .help("passes over the training data");
  t.integer("max_steps", &A::max_steps).default_to("-1").help("optimizer steps; overrides epochs when > 0");
  t.integer("per_device_train_batch_size", &A::per_device_train_batch_size).alias("train-batch-size")
      .alias("train_batch_size").default_to("8").at_least(1).help("examples per data-parallel rank per micro-step");
  t.integer("per_device_eval_batch_size", &A::per_device_eval_batch_size).alias("eval-batch-size")
      .alias("eval_batch_size").default_to("8").at_least(1).help("examples per rank per evaluation batch");
  t.integer("gradient_accumulation_steps", &A::gradient_accumulation_steps).default_to("1").at_least(1)
      .help("micro-steps per optimizer step");
  // Optimiser and schedule (AdamWSettings takes these defaults too: engine/train/optimizer.h).
  t.number("learning_rate", &A::learning_rate).alias("learning-rate").alias("lr").default_to("0.00005").at_least(0)
      .help("peak AdamW learning rate");
  t.number("weight_decay", &A::weight_decay).default_to("0").at_least(0)
      .help("AdamW decoupled weight decay (not on biases and norms)");
  t.number("adam_beta1", &A::adam_beta1).default_to("0.9").at_least(0).below(1).help("AdamW beta1");
  t.number("adam_beta2", &A::adam_beta2).default_to("0.999").at_least(0).below(1).help("AdamW beta2");
  // epsilon 0 divides 0 by 0 for a parameter whose gradient is zero: NaN weights.
  t.number("adam_epsilon", &A::adam_epsilon).default_to("0.00000001").above(0).help("AdamW epsilon");
  t.number("max_grad_norm", &A::max_grad_norm).default_to("1").at_least(0)
      .help("global gradient-norm clip (0 disables)");
  t.integer("max_nonfinite_steps", &A::max_nonfinite_steps).default_to("5").at_least(0)
      .help("steps with a NaN or inf gradient norm are skipped; this many in a row stop the run (0: never)");
  t.integer("warmup_steps", &A::warmup_steps).default_to("0").at_least(0).help("linear warm-up steps");
  t.choice("lr_scheduler_type", {"linear", "cosine", "constant", "constant_with_warmup"}, &A::lr_scheduler_type)
      .default_to("linear").help("learning-rate schedule after the warm-up");
  // Cadence.
  t.integer("logging_steps", &A::logging_steps).default_to("10").at_least(1).help("log metrics every N steps");
  t.integer("eval_steps", &A::eval_steps).default_to("0").at_least(0)
      .help("evaluate every N steps (0: only at the end)");
  t.integer("save_steps", &A::save_steps).default_to("500").at_least(0).help("checkpoint every N steps (0: never)");
  t.integer("save_total_limit", &A::save_total_limit).default_to("-1").at_least(-1).help("keep at most N checkpoints (-1: all)");
  t.integer("seed", &A::seed).default_to("42").help("seed of initialisation, data order and dropout");
  t.boolean("do_train", &A::do_train).default_to("True").help("train (False: only evaluate the given model)");
  t.boolean("do_eval", &A::do_eval).default_to("True").help("evaluate on the test channel");
  // Numerics and devices.
  t.boolean("bf16", &A::bf16).default_to("False")
      .help("bfloat16 autocast (CUDA, or the CPU); float32 master weights");
  t.boolean("fp16", &A::fp16).default_to("False")
      .help("float16 autocast with dynamic loss scaling (V100s have no bfloat16)");
  t.boolean("tf32", &A::tf32).default_to("True")
      .help("TF32 tensor cores for float32 matmuls on GPUs that have them (Ampere and newer); no effect on the CPU");
  t.choice("device", {"auto", "cpu", "cuda"}, &A::device).default_to("auto")
      .help("auto: cuda:<local rank> when present, else cpu");
  t.integer("num_threads", &A::num_threads).default_to("0").at_least(0)
      .help("intra-op CPU threads per process (0: libtorch's default)");
  t.choice("progress_bar", {"auto", "True", "False"}, &A::progress_bar).default_to("auto")
      .help("auto: on a terminal");
  // Parallelism.
  t.text("distribution", &A::distribution).default_to("").metavar("json|file")
      .help("the estimator's distribution dict as JSON, or a JSON file");
  t.text("mp_parameters", &A::mp_parameters).default_to("").metavar("k=v,...")
      .help("model-parallel parameters as k=v,k=v (SageMaker's form)");
  t.choice("comm_backend", {"auto", "mpi", "nccl"}, &A::comm_backend).default_to("auto")
      .help("auto: NCCL for CUDA tensors, else MPI");
  t.integer("bucket_cap_mb", &A::bucket_cap_mb).default_to("25").at_least(1)
      .help("data-parallel gradient bucket cap (MiB)");
  t.number("first_bucket_mb", &A::first_bucket_mb).default_to("1").above(0)
      .help("size of the first gradient bucket (MiB)");
  // Measurement.
  t.text("bench_report", &A::bench_report).default_to("").metavar("folder")
      .help("each rank writes rank-<r>.json there: its step spans, bytes sent, peak memory (what tandem bench reads)");
  return t;
}

}  // namespace

const flags::FlagTable<TrainArgs>& train_flag_table() { return flags::built_once<make_table>(); }

TrainArgs::TrainArgs() { train_flag_table().apply_defaults(*this, {}); }

bool TrainArgs::was_set(const std::string& name) const {
  return std::find(explicitly_set.begin(), explicitly_set.end(), name) != explicitly_set.end();
}

bool parse_bool(const std::string& flag, const std::string& value) {
  if (const auto b = flags::parse_bool_text(value)) return *b;
  throw UsageError("--" + flag + ": \"" + value + "\" is not a boolean (expected True or False)");
}

TrainArgs parse_train_args(const std::vector<std::string>& argv, const Environment& env) {
  return train_flag_table().parse(argv, env);
}

std::string train_help(const Environment& env) { return train_flag_table().help(env); }

}  // namespace tandem
