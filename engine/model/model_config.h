#pragma once
// The shape of a model: a GPT-2 decoder (language modelling), or a BERT or
// DistilBERT encoder with a sequence-classification head. Read from a named
// preset or a Hugging Face config.json (engine/model/hf_config.cpp), written
// back as one.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace tandem {

// What the model is trained for: next tokens (Gpt) or one label per sequence (Encoder).
enum class ModelFamily { Gpt, Encoder };
// Which layers and Hugging Face names: GPT2LMHeadModel, BertForSequenceClassification,
// DistilBertForSequenceClassification.
enum class Architecture { Gpt2, Bert, DistilBert };

// A multiple of 64 rows keeps [tokens, d] x [d, V] matmuls on whole GEMM tiles
// and tensor-core-aligned strides, for any dtype.
constexpr int kVocabPadding = 64;

struct ModelConfig {
  std::string name;  // preset name or the directory it came from
  ModelFamily family = ModelFamily::Gpt;
  Architecture architecture = Architecture::Gpt2;
  int n_layer = 2;
  int n_head = 2;
  int d_model = 64;
  int d_ff = 256;
  int vocab_size = 256;
  int max_position = 128;
  double dropout = 0.0;            // hidden states (and the classifier's input)
  double attention_dropout = 0.0;  // attention probabilities
  double classifier_dropout = 0.0; // the classification head's input
  double layer_norm_eps = 1e-5;
  bool tie_embeddings = true;
  // BERT: rows of the token-type (segment) embedding; inputs use type 0.
  int type_vocab_size = 2;
  // DistilBERT: fixed sinusoidal position table instead of a learned one.
  bool sinusoidal_positions = false;
  // The checkpoint this config came from has no classification head (BertModel,
  // DistilBertModel): the head is new, and the labels come from the data.
  bool base_checkpoint = false;
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

// Hugging Face config.json (model_type gpt2, bert or distilbert). Every field
// read is type-checked: a wrong type is a UsageError naming the field.
ModelConfig config_from_hf_json(const nlohmann::json& j, const std::string& origin);
nlohmann::json config_to_hf_json(const ModelConfig& c);

}  // namespace tandem
