#include "engine/model/model_config.h"

#include "engine/error.h"

#include <map>

namespace tandem {
namespace {

ModelConfig gpt(const std::string& name, int layers, int heads, int d, int vocab, int positions, double dropout) {
  ModelConfig c;
  c.name = name;
  c.family = ModelFamily::Gpt;
  c.n_layer = layers;
  c.n_head = heads;
  c.d_model = d;
  c.d_ff = 4 * d;
  c.vocab_size = vocab;
  c.max_position = positions;
  c.dropout = dropout;
  c.attention_dropout = dropout;
  c.classifier_dropout = dropout;
  return c;
}

ModelConfig encoder(const std::string& name, int layers, int heads, int d, int vocab, int positions, double dropout) {
  ModelConfig c = gpt(name, layers, heads, d, vocab, positions, dropout);
  c.family = ModelFamily::Encoder;
  c.architecture = Architecture::DistilBert;
  c.layer_norm_eps = 1e-12;
  c.tie_embeddings = false;
  return c;
}

// Tiny presets have dropout 0 so that runs in different parallel layouts are
// comparable bit for bit; the full-size ones keep their published dropout.
const std::map<std::string, ModelConfig>& presets() {
  static const std::map<std::string, ModelConfig> table = {
      {"gpt-tiny", gpt("gpt-tiny", 2, 2, 64, 256, 256, 0.0)},
      {"gpt-mini", gpt("gpt-mini", 4, 4, 256, 256, 512, 0.0)},
      {"gpt2-124m", gpt("gpt2-124m", 12, 12, 768, 50257, 1024, 0.1)},
      {"encoder-tiny", encoder("encoder-tiny", 2, 2, 64, 256, 256, 0.0)},
      {"distilbert-base", encoder("distilbert-base", 6, 12, 768, 30522, 512, 0.1)},
  };
  return table;
}

}  // namespace

void ModelConfig::validate() const {
  auto positive = [&](int v, const char* field) {
    if (v <= 0) throw UsageError("model " + name + ": " + field + " must be positive, got " + std::to_string(v));
  };
  positive(n_layer, "n_layer");
  positive(n_head, "n_head");
  positive(d_model, "d_model");
  positive(d_ff, "d_ff");
  positive(vocab_size, "vocab_size");
  positive(max_position, "max_position");
  if (d_model % n_head != 0)
    throw UsageError("model " + name + ": d_model " + std::to_string(d_model) + " is not divisible by n_head " +
                     std::to_string(n_head));
  if (dropout < 0 || dropout >= 1) throw UsageError("model " + name + ": dropout must be in [0, 1)");
  for (double p : {attention_dropout, classifier_dropout})
    if (p < 0 || p >= 1) throw UsageError("model " + name + ": every dropout probability must be in [0, 1)");
  if (!(layer_norm_eps > 0)) throw UsageError("model " + name + ": layer_norm_eps must be positive");
  if (family == ModelFamily::Encoder) positive(num_labels, "num_labels");
  if (architecture == Architecture::Bert) positive(type_vocab_size, "type_vocab_size");
  if (sinusoidal_positions && d_model % 2 != 0)
    throw UsageError("model " + name + ": sinusoidal positions need an even d_model, got " + std::to_string(d_model));
}

int ModelConfig::padded_vocab() const {
  if (family != ModelFamily::Gpt) return vocab_size;
  return (vocab_size + kVocabPadding - 1) / kVocabPadding * kVocabPadding;
}

bool is_preset(const std::string& name) { return presets().count(name) > 0; }

ModelConfig preset_config(const std::string& name) {
  auto it = presets().find(name);
  if (it == presets().end()) {
    std::string names;
    for (const auto& n : preset_names()) names += (names.empty() ? "" : ", ") + n;
    throw UsageError("--model_name_or_path: unknown preset \"" + name + "\" (expected one of " + names +
                     ", or a directory holding config.json)");
  }
  return it->second;
}

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& [n, c] : presets()) names.push_back(n);
  return names;
}

}  // namespace tandem
