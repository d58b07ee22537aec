#include "engine/model/model_config.h"

#include "engine/error.h"

#include <filesystem>
#include <fstream>
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
  return c;
}

ModelConfig encoder(const std::string& name, int layers, int heads, int d, int vocab, int positions, double dropout) {
  ModelConfig c = gpt(name, layers, heads, d, vocab, positions, dropout);
  c.family = ModelFamily::Encoder;
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

template <typename T>
T required(const nlohmann::json& j, const char* key, const std::string& origin) {
  if (!j.contains(key)) throw UsageError(origin + ": missing \"" + key + "\"");
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw UsageError(origin + ": \"" + key + "\" has the wrong type (" + j.at(key).dump() + ")");
  }
}

template <typename T>
T optional(const nlohmann::json& j, const char* key, T fallback, const std::string& origin) {
  if (!j.contains(key) || j.at(key).is_null()) return fallback;
  return required<T>(j, key, origin);
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
  if (family == ModelFamily::Encoder) positive(num_labels, "num_labels");
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

ModelConfig resolve_model_config(const std::string& name_or_path) {
  namespace fs = std::filesystem;
  if (is_preset(name_or_path)) return preset_config(name_or_path);
  if (!fs::is_directory(name_or_path)) return preset_config(name_or_path);  // throws the "unknown preset" line
  const auto path = fs::path(name_or_path) / "config.json";
  std::ifstream in(path);
  if (!in) throw UsageError("--model_name_or_path: " + path.string() + " does not exist or is unreadable");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(path.string() + ": not valid JSON (" + e.what() + ")");
  }
  return config_from_hf_json(j, path.string());
}

ModelConfig config_from_hf_json(const nlohmann::json& j, const std::string& origin) {
  if (!j.is_object()) throw UsageError(origin + ": expected a JSON object");
  const auto type = optional<std::string>(j, "model_type", "", origin);
  ModelConfig c;
  c.name = origin;
  if (type == "gpt2") {
    c.family = ModelFamily::Gpt;
    c.n_layer = required<int>(j, "n_layer", origin);
    c.n_head = required<int>(j, "n_head", origin);
    c.d_model = required<int>(j, "n_embd", origin);
    c.d_ff = optional<int>(j, "n_inner", 4 * c.d_model, origin);
    c.vocab_size = required<int>(j, "vocab_size", origin);
    c.max_position = required<int>(j, "n_positions", origin);
    c.dropout = optional<double>(j, "resid_pdrop", 0.1, origin);
    c.layer_norm_eps = optional<double>(j, "layer_norm_epsilon", 1e-5, origin);
    c.tie_embeddings = optional<bool>(j, "tie_word_embeddings", true, origin);
    const auto act = optional<std::string>(j, "activation_function", "gelu_new", origin);
    if (act != "gelu_new") throw UsageError(origin + ": activation_function \"" + act + "\" is not supported (expected gelu_new)");
  } else if (type == "distilbert") {
    c.family = ModelFamily::Encoder;
    c.n_layer = required<int>(j, "n_layers", origin);
    c.n_head = required<int>(j, "n_heads", origin);
    c.d_model = required<int>(j, "dim", origin);
    c.d_ff = required<int>(j, "hidden_dim", origin);
    c.vocab_size = required<int>(j, "vocab_size", origin);
    c.max_position = required<int>(j, "max_position_embeddings", origin);
    c.dropout = optional<double>(j, "dropout", 0.1, origin);
    c.layer_norm_eps = 1e-12;
    c.tie_embeddings = false;
    if (j.contains("id2label") && j.at("id2label").is_object()) {
      const auto& m = j.at("id2label");
      c.num_labels = static_cast<int>(m.size());
      c.labels.assign(m.size(), "");
      for (auto it = m.begin(); it != m.end(); ++it) {
        size_t id = 0;
        try {
          id = std::stoul(it.key());
        } catch (...) {
          throw UsageError(origin + ": id2label key \"" + it.key() + "\" is not an integer");
        }
        if (id >= c.labels.size()) throw UsageError(origin + ": id2label ids must be 0.." + std::to_string(m.size() - 1));
        c.labels[id] = it.value().get<std::string>();
      }
      // HF's placeholder names stand for integer labels.
      bool placeholders = true;
      for (size_t i = 0; i < c.labels.size(); ++i) placeholders = placeholders && c.labels[i] == "LABEL_" + std::to_string(i);
      if (placeholders) c.labels.clear();
    }
  } else {
    throw UsageError(origin + ": model_type \"" + type + "\" is not supported (expected gpt2 or distilbert)");
  }
  c.validate();
  return c;
}

nlohmann::json config_to_hf_json(const ModelConfig& c) {
  nlohmann::json j;
  if (c.family == ModelFamily::Gpt) {
    j = {{"model_type", "gpt2"},
         {"architectures", {"GPT2LMHeadModel"}},
         {"n_layer", c.n_layer},
         {"n_head", c.n_head},
         {"n_embd", c.d_model},
         {"n_inner", c.d_ff},
         {"vocab_size", c.vocab_size},
         {"n_positions", c.max_position},
         {"n_ctx", c.max_position},
         {"resid_pdrop", c.dropout},
         {"embd_pdrop", c.dropout},
         {"attn_pdrop", c.dropout},
         {"layer_norm_epsilon", c.layer_norm_eps},
         {"activation_function", "gelu_new"},
         {"tie_word_embeddings", c.tie_embeddings},
         {"bos_token_id", 0},
         {"eos_token_id", 0}};
  } else {
    nlohmann::json id2label = nlohmann::json::object(), label2id = nlohmann::json::object();
    for (int i = 0; i < c.num_labels; ++i) {
      const std::string label = c.labels.empty() ? "LABEL_" + std::to_string(i) : c.labels[i];
      id2label[std::to_string(i)] = label;
      label2id[label] = i;
    }
    j = {{"model_type", "distilbert"},
         {"architectures", {"DistilBertForSequenceClassification"}},
         {"n_layers", c.n_layer},
         {"n_heads", c.n_head},
         {"dim", c.d_model},
         {"hidden_dim", c.d_ff},
         {"vocab_size", c.vocab_size},
         {"max_position_embeddings", c.max_position},
         {"dropout", c.dropout},
         {"attention_dropout", c.dropout},
         {"seq_classif_dropout", c.dropout},
         {"activation", "gelu"},
         {"sinusoidal_pos_embds", false},
         {"tie_weights_", false},
         {"pad_token_id", 0},
         {"id2label", id2label},
         {"label2id", label2id}};
  }
  j["torch_dtype"] = "float32";
  return j;
}

}  // namespace tandem
