#pragma once
// The shape of a model: a GPT-2-style decoder (language modelling) or a
// DistilBERT-style encoder with a sequence-classification head. Read from a
// named preset or a Hugging Face config.json, written back as one.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace tandem {

enum class ModelFamily { Gpt, Encoder };

// A multiple of 64 rows keeps [tokens, d] x [d, V] matmuls on whole GEMM tiles
// and tensor-core-aligned strides, for any dtype.
constexpr int kVocabPadding = 64;

struct ModelConfig {
  std::string name;  // preset name or the directory it came from
  ModelFamily family = ModelFamily::Gpt;
  int n_layer = 2;
  int n_head = 2;
  int d_model = 64;
  int d_ff = 256;
  int vocab_size = 256;
  int max_position = 128;
  double dropout = 0.0;
  double layer_norm_eps = 1e-5;
  bool tie_embeddings = true;
  // Encoder classification only: label names in id order (empty = integer labels).
  int num_labels = 2;
  std::vector<std::string> labels;

  int head_dim() const { return d_model / n_head; }
  // Rows of the embedding matrix (and of an untied LM head) in memory. A GPT
  // pads its vocabulary to a multiple of kVocabPadding (GPT-2: 50257 -> 50304)
  // so that the head's matmuls get tile-friendly shapes; the padding rows are
  // zero, are masked out of the loss and never leave the process (files keep
  // vocab_size rows: engine/model/vocab_padding.h). Encoders are not padded.
  int padded_vocab() const;
  // Throws UsageError naming the field when the shape is inconsistent.
  void validate() const;
};

// Presets: gpt-tiny, gpt-mini, gpt2-124m, encoder-tiny, distilbert-base.
bool is_preset(const std::string& name);
ModelConfig preset_config(const std::string& name);
std::vector<std::string> preset_names();

// --model_name_or_path: a preset name, or a directory holding config.json.
ModelConfig resolve_model_config(const std::string& name_or_path);

// Hugging Face config.json (model_type gpt2 or distilbert).
ModelConfig config_from_hf_json(const nlohmann::json& j, const std::string& origin);
nlohmann::json config_to_hf_json(const ModelConfig& c);

}  // namespace tandem
