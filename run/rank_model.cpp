#include "run/rank_model.h"

#include "engine/checkpoint/safetensors.h"
#include "engine/model/vocab_padding.h"
#include "engine/train/precision.h"

namespace tandem::run {

TransformerModel build_rank_model(const TrainingSetup& setup, const TrainArgs& args, torch::Device device) {
  TransformerModel model = TransformerModel::build(setup.model, static_cast<uint64_t>(args.seed));
  if (!setup.pretrained_weights.empty())
    copy_into_parameters(pad_vocab_rows(load_safetensors(setup.pretrained_weights), setup.model, setup.pretrained_weights),
                         model.named_parameters(), setup.pretrained_weights);
  model.to(device);
  model.set_autocast(autocast_dtype(args.bf16, args.fp16));
  return model;
}

}  // namespace tandem::run
