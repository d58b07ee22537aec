#include "run/rank_model.h"

#include "engine/model/pretrained_weights.h"
#include "engine/train/precision.h"

namespace tandem::run {

TransformerModel build_rank_model(const TrainingSetup& setup, const TrainArgs& args, torch::Device device,
                                  std::string* notice) {
  TransformerModel model = TransformerModel::build(setup.model, static_cast<uint64_t>(args.seed));
  if (!setup.pretrained_weights.empty()) {
    const std::string said = load_pretrained_weights(setup.pretrained_weights, model).notice(setup.pretrained_weights);
    if (notice) *notice = said;
  }
  model.to(device);
  model.set_autocast(autocast_dtype(args.bf16, args.fp16));
  return model;
}

}  // namespace tandem::run
