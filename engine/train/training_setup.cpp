#include "engine/train/training_setup.h"

#include "engine/error.h"
#include "engine/model/model_memory.h"
#include "engine/tokenizer/load_tokenizer.h"

#include <filesystem>

namespace tandem {
namespace fs = std::filesystem;

namespace {

// A folder flag naming an existing file would fail only when the run first
// writes there, after training: refuse it before anything starts.
void expect_folder_or_nothing(const std::string& flag, const std::string& path) {
  std::error_code ec;
  if (!path.empty() && fs::exists(path, ec) && !fs::is_directory(path, ec))
    throw UsageError("--" + flag + ": " + path + " is a file (expected a folder, or a path where one can be made)");
}

}  // namespace

TrainingSetup prepare_training(const TrainArgs& args) {
  // Each value's range was checked when it was parsed; these are the checks between flags.
  validate_train_args(args);
  expect_folder_or_nothing("output_dir", args.output_dir);
  expect_folder_or_nothing("model_dir", args.model_dir);
  expect_folder_or_nothing("output_data_dir", args.output_data_dir);

  TrainingSetup setup;
  setup.model = resolve_model_config(args.model_name_or_path);
  check_model_fits_in_memory(setup.model, is_preset(args.model_name_or_path)
                                              ? "model " + args.model_name_or_path
                                              : (fs::path(args.model_name_or_path) / "config.json").string());
  if (!is_preset(args.model_name_or_path)) {
    const auto weights = fs::path(args.model_name_or_path) / "model.safetensors";
    if (fs::exists(weights)) setup.pretrained_weights = weights.string();
  }
  const Task model_task =
      setup.model.family == ModelFamily::Gpt ? Task::LanguageModeling : Task::Classification;
  if (args.task == "auto") setup.task = model_task;
  else if (args.task == "lm") setup.task = Task::LanguageModeling;
  else if (args.task == "classification") setup.task = Task::Classification;
  else throw UsageError("--task: \"" + args.task + "\" is not one of lm, classification, auto");
  if (setup.task != model_task)
    throw UsageError("--task " + args.task + " does not fit model " + args.model_name_or_path + " (a " +
                     (model_task == Task::LanguageModeling ? "decoder for lm" : "encoder for classification") + ")");
  if (args.block_size > setup.model.max_position)
    throw UsageError("--block_size " + std::to_string(args.block_size) + " exceeds max_position " +
                     std::to_string(setup.model.max_position) + " of model " + args.model_name_or_path);
  if (!args.do_train && setup.pretrained_weights.empty())
    throw UsageError("--do_train False needs --model_name_or_path pointing at a trained model (a folder with "
                     "config.json and model.safetensors)");

  // The test channel is optional when it is only the local default folder.
  const bool eval_wanted = args.do_eval && (args.was_set("test_dir") || fs::exists(args.test_dir));
  // The model directory's tokenizer when it ships one, else bytes (presets).
  const auto tokenizer = tokenizer_for_model(args.model_name_or_path);
  if (setup.task == Task::LanguageModeling) {
    if (args.do_train)
      setup.train = make_lm_dataset("train", args.training_dir, args.block_size, setup.model.vocab_size, *tokenizer);
    if (eval_wanted) setup.eval = make_lm_dataset("test", args.test_dir, args.block_size, setup.model.vocab_size, *tokenizer);
  } else {
    auto& labels = setup.model.labels;
    int& num_labels = setup.model.num_labels;
    // A fresh model, or a base checkpoint given a new head, takes its labels
    // from the training data; a trained classifier keeps its own.
    if (setup.pretrained_weights.empty() || setup.model.base_checkpoint) {
      num_labels = 1;
      labels.clear();
    }
    const int vocab = setup.model.vocab_size;
    if (args.do_train)
      setup.train = make_classification_dataset("train", args.training_dir, args.block_size, labels, num_labels, vocab,
                                                *tokenizer);
    if (eval_wanted) {
      int eval_labels = num_labels;
      setup.eval = make_classification_dataset("test", args.test_dir, args.block_size, labels, eval_labels, vocab,
                                               *tokenizer);
      if (eval_labels != num_labels)
        throw RuntimeFailure("channel test: labels go up to " + std::to_string(eval_labels - 1) +
                             " but the model has " + std::to_string(num_labels) + " labels");
    }
    setup.model.validate();
  }
  return setup;
}

}  // namespace tandem
