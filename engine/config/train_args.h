#pragma once
// Everything `tandem train` is told, after defaults and SM_* fallbacks.
// Filled by parse_train_args() from one table (train_flags.cpp) that also
// generates `tandem train --help`.

#include <map>
#include <string>
#include <vector>

namespace tandem {

struct TrainArgs {
  // Where things are (SageMaker's SM_* variables when set).
  std::string model_dir;
  std::string training_dir;
  std::string test_dir;
  std::string output_data_dir;
  std::string output_dir;  // checkpoints
  // What to train.
  std::string model_name_or_path;
  std::string task;  // lm, classification, or auto (from the model family)
  int block_size = 128;
  // How long.
  double epochs = 1;
  int max_steps = -1;
  int per_device_train_batch_size = 8;
  int per_device_eval_batch_size = 8;
  int gradient_accumulation_steps = 1;
  // Optimiser and schedule.
  double learning_rate = 5e-5;
  double weight_decay = 0.0;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_epsilon = 1e-8;
  double max_grad_norm = 1.0;
  int warmup_steps = 0;
  std::string lr_scheduler_type = "linear";
  // Cadence.
  int logging_steps = 10;
  int eval_steps = 0;
  int save_steps = 500;
  int save_total_limit = -1;
  int seed = 42;
  bool do_train = true;
  bool do_eval = true;
  // Numerics and devices.
  bool bf16 = false;
  bool fp16 = false;
  bool tf32 = true;
  std::string device = "auto";
  int num_threads = 0;
  std::string progress_bar = "auto";
  // Parallelism (see parallel/ and launcher/distribution/).
  std::string distribution;
  std::string mp_parameters;
  std::string comm_backend = "auto";
  int bucket_cap_mb = 25;
  double first_bucket_mb = 1.0;

  // Flags the user set explicitly (so a default from SM_* is not mistaken for a choice).
  std::vector<std::string> explicitly_set;
  bool was_set(const std::string& name) const;
};

using Environment = std::map<std::string, std::string>;

// Parses `--key value` pairs (SageMaker's form: every flag has a value,
// booleans as True/False). Throws UsageError naming the flag.
TrainArgs parse_train_args(const std::vector<std::string>& argv, const Environment& env);
std::string train_help(const Environment& env);

// "True"/"False" as SageMaker renders Python booleans (also true/false/1/0).
bool parse_bool(const std::string& flag, const std::string& value);

}  // namespace tandem
