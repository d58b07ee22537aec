#pragma once
// The vocabulary rows between memory and files. In memory a GPT's embedding
// matrix (and an untied LM head) has ModelConfig::padded_vocab() rows, the
// padding rows zero; in every file (model.safetensors, a checkpoint's model
// and optimizer shards) it has vocab_size rows. Files therefore load in
// Hugging Face transformers unchanged, and do not depend on the padding:
// checkpoints written before the padding existed resume as they are.

#include "engine/checkpoint/safetensors.h"
#include "engine/model/model_config.h"

#include <map>
#include <string>

namespace tandem {

// Whether `name` holds vocabulary rows: transformer.wte.weight or
// lm_head.weight, or an optimizer state of one ("exp_avg.lm_head.weight").
bool holds_vocab_rows(const std::string& name);

// Memory -> file: every 2-D vocabulary tensor narrowed to its first vocab_size
// rows (a view, no copy); everything else as it is.
NamedTensors strip_vocab_padding(const NamedTensors& tensors, const ModelConfig& c);

// File -> memory: every 2-D vocabulary tensor, which must have vocab_size rows
// (else RuntimeFailure naming `origin` and the tensor), extended with zero rows
// to padded_vocab(); everything else as it is.
std::map<std::string, torch::Tensor> pad_vocab_rows(std::map<std::string, torch::Tensor> stored,
                                                    const ModelConfig& c, const std::string& origin);

}  // namespace tandem
