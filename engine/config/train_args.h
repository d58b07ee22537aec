#pragma once
// Everything `tandem train` is told, after defaults and SM_* fallbacks.
// One table (train_flags.cpp) holds every flag's name, aliases, type, range,
// default and help line; parse_train_args(), `tandem train --help` and the
// defaults of a default-constructed TrainArgs all come from it, so no number
// below is written twice. validate_train_args() holds the checks that involve
// more than one flag.

#include "common/flags/flag_table.h"

#include <string>
#include <vector>

namespace tandem {

struct TrainArgs {
  // Every field takes its default from the flag table (with no SM_* variables set).
  TrainArgs();

  // Where things are (SageMaker's SM_* variables when set).
  std::string model_dir;
  std::string training_dir;
  std::string test_dir;
  std::string output_data_dir;
  std::string output_dir;  // checkpoints
  // What to train.
  std::string model_name_or_path;
  std::string task;  // lm, classification, or auto (from the model family)
  int block_size{};
  // How long.
  double epochs{};
  int max_steps{};
  int per_device_train_batch_size{};
  int per_device_eval_batch_size{};
  int gradient_accumulation_steps{};
  // Optimiser and schedule.
  double learning_rate{};
  double weight_decay{};
  double adam_beta1{};
  double adam_beta2{};
  double adam_epsilon{};
  double max_grad_norm{};
  int max_nonfinite_steps{};  // skipped NaN/inf steps in a row before the run stops
  int warmup_steps{};
  std::string lr_scheduler_type;
  // Cadence.
  int logging_steps{};
  int eval_steps{};
  int save_steps{};
  int save_total_limit{};
  int seed{};
  bool do_train{};
  bool do_eval{};
  // Numerics and devices.
  bool bf16{};
  bool fp16{};
  bool tf32{};
  std::string device;
  int num_threads{};
  std::string progress_bar;  // auto, True or False
  // Parallelism (see parallel/ and launcher/distribution/).
  std::string distribution;
  std::string mp_parameters;
  std::string comm_backend;
  int bucket_cap_mb{};
  double first_bucket_mb{};
  // Measurement: where each rank writes its activity report (empty: nowhere).
  std::string bench_report;

  // Flags the user set explicitly (so a default from SM_* is not mistaken for a choice).
  std::vector<std::string> explicitly_set;
  bool was_set(const std::string& name) const;
};

using Environment = flags::Environment;

const flags::FlagTable<TrainArgs>& train_flag_table();

// Parses `--key value` pairs (SageMaker's form: every flag has a value,
// booleans as True/False). Throws UsageError naming the flag.
TrainArgs parse_train_args(const std::vector<std::string>& argv, const Environment& env);
std::string train_help(const Environment& env);

// The checks between flags that need no file and no process (mixed
// precisions, epochs without max_steps, NCCL on the CPU). Throws UsageError.
// Checks against the model or the data stay in prepare_training().
void validate_train_args(const TrainArgs& args);

// "True"/"False" as SageMaker renders Python booleans (also true/false/1/0).
bool parse_bool(const std::string& flag, const std::string& value);

}  // namespace tandem
