#pragma once
// Loading a Hugging Face model.safetensors into a freshly built model, by
// transformers' rules: a base checkpoint (BertModel, DistilBertModel,
// GPT2Model) stores its names without the "bert." / "distilbert." /
// "transformer." prefix; a classification head it lacks stays at its fresh
// initialisation and is named in a notice; integer buffers such as
// embeddings.position_ids are not weights and are skipped. Anything else the
// model needs and the file lacks, or holds in another shape, is an error
// naming the tensor.

#include "engine/model/transformer_model.h"

#include <string>
#include <vector>

namespace tandem {

struct PretrainedLoad {
  std::vector<std::string> initialised;  // head parameters absent from the file, left as built
  std::vector<std::string> unused;       // floating-point tensors of the file the model has no place for
  // One line for the user, or "" when the file matched the model exactly.
  std::string notice(const std::string& path) const;
};

// Throws RuntimeFailure naming `path` and the tensor (missing, wrong shape,
// integer data where a weight belongs), never a libtorch message.
PretrainedLoad load_pretrained_weights(const std::string& path, const TransformerModel& model);

}  // namespace tandem
