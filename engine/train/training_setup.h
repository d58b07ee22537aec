#pragma once
// Turns TrainArgs into the things a run needs: the model's shape, the task,
// the datasets. Validates everything that can be checked before any training
// (block size against the model, batch against the data).

#include "engine/config/train_args.h"
#include "engine/data/dataset.h"
#include "engine/model/model_config.h"

#include <memory>
#include <optional>

namespace tandem {

enum class Task { LanguageModeling, Classification };

struct TrainingSetup {
  ModelConfig model;
  Task task = Task::LanguageModeling;
  std::string pretrained_weights;  // model.safetensors of a model directory, if any
  std::unique_ptr<Dataset> train;  // null when do_train is False
  std::unique_ptr<Dataset> eval;   // null when there is no test channel or do_eval is False
};

// Runs validate_train_args() first. Throws UsageError (flags, shapes) or RuntimeFailure (files).
TrainingSetup prepare_training(const TrainArgs& args);

}  // namespace tandem
