#include "engine/config/train_args.h"

#include "engine/error.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <sstream>

namespace tandem {
namespace {

enum class FlagType { Int, Float, Bool, String };

struct Flag {
  std::string name;
  std::vector<std::string> aliases;  // the seed script's spellings
  FlagType type;
  std::function<std::string(const Environment&)> default_value;
  std::string help;
  std::function<void(TrainArgs&, const std::string&)> set;
};

std::function<std::string(const Environment&)> fixed(std::string v) {
  return [v](const Environment&) { return v; };
}

// SM_* variable when set, else a local folder: the same command runs inside a
// SageMaker container and on a laptop.
std::function<std::string(const Environment&)> env_or(std::string var, std::string local) {
  return [var, local](const Environment& env) {
    auto it = env.find(var);
    return it != env.end() && !it->second.empty() ? it->second : local;
  };
}

int to_int(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno == ERANGE || x < INT32_MIN || x > INT32_MAX)
    throw UsageError("--" + flag + ": \"" + v + "\" is not an integer");
  return static_cast<int>(x);
}

double to_float(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  errno = 0;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(x))
    throw UsageError("--" + flag + ": \"" + v + "\" is not a number");
  return x;
}

#define TANDEM_INT(field) [](TrainArgs& a, const std::string& v) { a.field = to_int(#field, v); }
#define TANDEM_FLOAT(field) [](TrainArgs& a, const std::string& v) { a.field = to_float(#field, v); }
#define TANDEM_BOOL(field) [](TrainArgs& a, const std::string& v) { a.field = parse_bool(#field, v); }
#define TANDEM_STRING(field) [](TrainArgs& a, const std::string& v) { a.field = v; }

const std::vector<Flag>& flag_table() {
  static const std::vector<Flag> table = {
      // Where things are.
      {"model_dir", {"model-dir"}, FlagType::String, env_or("SM_MODEL_DIR", "model"),
       "final model (config.json, model.safetensors)", TANDEM_STRING(model_dir)},
      {"training_dir", {"train_dir", "train-dir"}, FlagType::String, env_or("SM_CHANNEL_TRAIN", "data/train"),
       "training channel: .txt, .jsonl or llm.c .bin files", TANDEM_STRING(training_dir)},
      {"test_dir", {"test-dir"}, FlagType::String, env_or("SM_CHANNEL_TEST", "data/test"),
       "evaluation channel (skipped when the default folder is absent)", TANDEM_STRING(test_dir)},
      {"output_data_dir", {"output-data-dir"}, FlagType::String, env_or("SM_OUTPUT_DATA_DIR", "output/data"),
       "metrics.jsonl and other artefacts", TANDEM_STRING(output_data_dir)},
      {"output_dir", {}, FlagType::String,
       [](const Environment&) {
         std::error_code ec;
         return std::filesystem::is_directory("/opt/ml/checkpoints", ec) ? std::string("/opt/ml/checkpoints")
                                                                          : std::string("checkpoints");
       },
       "checkpoint-<step>/ folders; the newest is resumed at start", TANDEM_STRING(output_dir)},
      // What to train.
      {"model_name_or_path", {"model-name-or-path"}, FlagType::String, fixed("gpt-tiny"),
       "preset (gpt-tiny, gpt-mini, gpt2-124m, encoder-tiny, distilbert-base) or a folder with config.json",
       TANDEM_STRING(model_name_or_path)},
      {"task", {}, FlagType::String, fixed("auto"), "lm, classification, or auto (from the model)", TANDEM_STRING(task)},
      {"block_size", {"block-size"}, FlagType::Int, fixed("128"), "tokens per example", TANDEM_INT(block_size)},
      // How long.
      {"epochs", {"num_train_epochs"}, FlagType::Float, fixed("1"), "passes over the training data",
       TANDEM_FLOAT(epochs)},
      {"max_steps", {}, FlagType::Int, fixed("-1"), "optimizer steps; overrides epochs when > 0", TANDEM_INT(max_steps)},
      {"per_device_train_batch_size", {"train-batch-size", "train_batch_size"}, FlagType::Int, fixed("8"),
       "examples per data-parallel rank per micro-step", TANDEM_INT(per_device_train_batch_size)},
      {"per_device_eval_batch_size", {"eval-batch-size", "eval_batch_size"}, FlagType::Int, fixed("8"),
       "examples per rank per evaluation batch", TANDEM_INT(per_device_eval_batch_size)},
      {"gradient_accumulation_steps", {}, FlagType::Int, fixed("1"), "micro-steps per optimizer step",
       TANDEM_INT(gradient_accumulation_steps)},
      // Optimiser and schedule.
      {"learning_rate", {"learning-rate", "lr"}, FlagType::Float, fixed("0.00005"), "peak AdamW learning rate",
       TANDEM_FLOAT(learning_rate)},
      {"weight_decay", {}, FlagType::Float, fixed("0"), "AdamW decoupled weight decay (not on biases and norms)",
       TANDEM_FLOAT(weight_decay)},
      {"adam_beta1", {}, FlagType::Float, fixed("0.9"), "AdamW beta1", TANDEM_FLOAT(adam_beta1)},
      {"adam_beta2", {}, FlagType::Float, fixed("0.999"), "AdamW beta2", TANDEM_FLOAT(adam_beta2)},
      {"adam_epsilon", {}, FlagType::Float, fixed("0.00000001"), "AdamW epsilon", TANDEM_FLOAT(adam_epsilon)},
      {"max_grad_norm", {}, FlagType::Float, fixed("1"), "global gradient-norm clip (0 disables)",
       TANDEM_FLOAT(max_grad_norm)},
      {"warmup_steps", {}, FlagType::Int, fixed("0"), "linear warm-up steps", TANDEM_INT(warmup_steps)},
      {"lr_scheduler_type", {}, FlagType::String, fixed("linear"), "linear, cosine, constant or constant_with_warmup",
       TANDEM_STRING(lr_scheduler_type)},
      // Cadence.
      {"logging_steps", {}, FlagType::Int, fixed("10"), "log metrics every N steps", TANDEM_INT(logging_steps)},
      {"eval_steps", {}, FlagType::Int, fixed("0"), "evaluate every N steps (0: only at the end)",
       TANDEM_INT(eval_steps)},
      {"save_steps", {}, FlagType::Int, fixed("500"), "checkpoint every N steps (0: never)", TANDEM_INT(save_steps)},
      {"save_total_limit", {}, FlagType::Int, fixed("-1"), "keep at most N checkpoints (-1: all)",
       TANDEM_INT(save_total_limit)},
      {"seed", {}, FlagType::Int, fixed("42"), "seed of initialisation, data order and dropout", TANDEM_INT(seed)},
      {"do_train", {}, FlagType::Bool, fixed("True"), "train (False: only evaluate the given model)",
       TANDEM_BOOL(do_train)},
      {"do_eval", {}, FlagType::Bool, fixed("True"), "evaluate on the test channel", TANDEM_BOOL(do_eval)},
      // Numerics and devices.
      {"bf16", {}, FlagType::Bool, fixed("False"), "bfloat16 autocast (CUDA, or the CPU); float32 master weights", TANDEM_BOOL(bf16)},
      {"fp16", {}, FlagType::Bool, fixed("False"), "float16 autocast with dynamic loss scaling (V100s have no bfloat16)", TANDEM_BOOL(fp16)},
      {"tf32", {}, FlagType::Bool, fixed("True"),
       "TF32 tensor cores for float32 matmuls on GPUs that have them (Ampere and newer); no effect on the CPU",
       TANDEM_BOOL(tf32)},
      {"device", {}, FlagType::String, fixed("auto"), "auto (cuda:<local rank> when present, else cpu), cpu or cuda",
       TANDEM_STRING(device)},
      {"num_threads", {}, FlagType::Int, fixed("0"), "intra-op CPU threads per process (0: libtorch's default)",
       TANDEM_INT(num_threads)},
      {"progress_bar", {}, FlagType::String, fixed("auto"), "auto (on a terminal), True or False",
       TANDEM_STRING(progress_bar)},
      // Parallelism.
      {"distribution", {}, FlagType::String, fixed(""), "the estimator's distribution dict as JSON, or a JSON file",
       TANDEM_STRING(distribution)},
      {"mp_parameters", {}, FlagType::String, fixed(""), "model-parallel parameters as k=v,k=v (SageMaker's form)",
       TANDEM_STRING(mp_parameters)},
      {"comm_backend", {}, FlagType::String, fixed("auto"), "auto (NCCL for CUDA tensors, else MPI), mpi or nccl",
       TANDEM_STRING(comm_backend)},
      {"bucket_cap_mb", {}, FlagType::Int, fixed("25"), "data-parallel gradient bucket cap (MiB)",
       TANDEM_INT(bucket_cap_mb)},
      {"first_bucket_mb", {}, FlagType::Float, fixed("1"), "size of the first gradient bucket (MiB)",
       TANDEM_FLOAT(first_bucket_mb)},
  };
  return table;
}

#undef TANDEM_INT
#undef TANDEM_FLOAT
#undef TANDEM_BOOL
#undef TANDEM_STRING

const Flag* find_flag(const std::string& key) {
  for (const auto& f : flag_table()) {
    if (f.name == key) return &f;
    if (std::find(f.aliases.begin(), f.aliases.end(), key) != f.aliases.end()) return &f;
  }
  return nullptr;
}

const char* type_name(FlagType t) {
  switch (t) {
    case FlagType::Int: return "int";
    case FlagType::Float: return "float";
    case FlagType::Bool: return "True|False";
    case FlagType::String: return "string";
  }
  return "";
}

}  // namespace

bool TrainArgs::was_set(const std::string& name) const {
  return std::find(explicitly_set.begin(), explicitly_set.end(), name) != explicitly_set.end();
}

bool parse_bool(const std::string& flag, const std::string& value) {
  if (value == "True" || value == "true" || value == "1") return true;
  if (value == "False" || value == "false" || value == "0") return false;
  throw UsageError("--" + flag + ": \"" + value + "\" is not a boolean (expected True or False)");
}

TrainArgs parse_train_args(const std::vector<std::string>& argv, const Environment& env) {
  TrainArgs args;
  for (const auto& f : flag_table()) f.set(args, f.default_value(env));

  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& token = argv[i];
    if (token.rfind("--", 0) != 0 || token.size() == 2)
      throw UsageError("unexpected argument \"" + token + "\" (expected --key value pairs; see tandem train --help)");
    std::string key = token.substr(2), value;
    bool has_value = false;
    if (auto eq = key.find('='); eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
      has_value = true;
    }
    const Flag* flag = find_flag(key);
    if (!flag) throw UsageError("unknown hyperparameter --" + key + " (see tandem train --help)");
    if (!has_value) {
      // SageMaker always passes a value; a bare switch is a mistake worth naming.
      if (i + 1 >= argv.size() || argv[i + 1].rfind("--", 0) == 0)
        throw UsageError("--" + key + " needs a value" +
                         (flag->type == FlagType::Bool ? std::string(" (True or False)") : std::string()));
      value = argv[++i];
    }
    flag->set(args, value);
    args.explicitly_set.push_back(flag->name);
  }
  return args;
}

std::string train_help(const Environment& env) {
  std::ostringstream out;
  out << "usage: tandem train [--key value]...\n\n"
         "Trains (or evaluates) a transformer. Every flag takes a value, booleans as True or False,\n"
         "as SageMaker passes hyperparameters. Defaults shown are those in effect here.\n\n";
  for (const auto& f : flag_table()) {
    std::string names = "--" + f.name;
    for (const auto& a : f.aliases) names += ", --" + a;
    const std::string def = f.default_value(env);
    out << "  " << names << " <" << type_name(f.type) << ">\n      " << f.help
        << " (default: " << (def.empty() ? "\"\"" : def) << ")\n";
  }
  return out.str();
}

}  // namespace tandem
