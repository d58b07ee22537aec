#pragma once
// The model one rank trains. Every rank builds the whole model from the same
// seed (identical weights in every layout); a pipeline stage then runs and
// updates only its own layers.

#include "engine/config/train_args.h"
#include "engine/model/transformer_model.h"
#include "engine/train/training_setup.h"

#include <string>

namespace tandem::run {

// Built from args.seed, with the pretrained weights when the setup names
// them (loaded as transformers does: pretrained_weights.h), on `device`, under
// the precision's autocast. Where loading initialised a new head or skipped
// tensors, its one-line notice goes to `notice` when given.
TransformerModel build_rank_model(const TrainingSetup& setup, const TrainArgs& args, torch::Device device,
                                  std::string* notice = nullptr);

}  // namespace tandem::run
