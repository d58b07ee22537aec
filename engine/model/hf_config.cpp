// ModelConfig from and to Hugging Face's config.json, per model_type (gpt2,
// bert, distilbert). Every field is read through one typed reader, so a field
// of the wrong type ("n_layer": true, "dropout": "0.1") is refused by name
// instead of being converted silently.
#include "common/json_error.h"
#include "engine/error.h"
#include "engine/model/model_config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>

namespace tandem {
namespace {

class ConfigFields {
 public:
  ConfigFields(const nlohmann::json& j, const std::string& origin) : j_(j), origin_(origin) {}

  bool has(const char* key) const { return j_.contains(key) && !j_.at(key).is_null(); }

  int integer(const char* key) const {
    const auto& v = at(key);
    if (!v.is_number_integer()) wrong_type(key, "an integer");
    const auto wide = v.is_number_unsigned() ? static_cast<long long>(std::min<unsigned long long>(
                                                   v.get<unsigned long long>(), std::numeric_limits<long long>::max()))
                                             : v.get<long long>();
    if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max())
      throw UsageError(origin_ + ": \"" + key + "\" is out of range (" + v.dump() + ")");
    return static_cast<int>(wide);
  }
  int integer(const char* key, int fallback) const { return has(key) ? integer(key) : fallback; }

  double number(const char* key, double fallback) const {
    if (!has(key)) return fallback;
    const auto& v = at(key);
    if (!v.is_number()) wrong_type(key, "a number");
    return v.get<double>();
  }

  bool boolean(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    const auto& v = at(key);
    if (!v.is_boolean()) wrong_type(key, "true or false");
    return v.get<bool>();
  }

  std::string string(const char* key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    const auto& v = at(key);
    if (!v.is_string()) wrong_type(key, "a string");
    return v.get<std::string>();
  }

  // "architectures": a list of class names; empty when absent.
  std::vector<std::string> strings(const char* key) const {
    if (!has(key)) return {};
    const auto& v = at(key);
    if (!v.is_array()) wrong_type(key, "a list of strings");
    std::vector<std::string> out;
    for (const auto& e : v) {
      if (!e.is_string()) wrong_type(key, "a list of strings");
      out.push_back(e.get<std::string>());
    }
    return out;
  }

  // id2label {"0": "neg", ...} as names in id order; empty when absent.
  std::vector<std::string> id2label() const {
    if (!has("id2label")) return {};
    const auto& m = at("id2label");
    if (!m.is_object()) wrong_type("id2label", "an object mapping ids to names");
    std::vector<std::string> labels(m.size());
    std::vector<bool> seen(m.size(), false);
    for (auto it = m.begin(); it != m.end(); ++it) {
      const std::string& key = it.key();
      const bool digits = !key.empty() && key.size() < 10 && std::all_of(key.begin(), key.end(), ::isdigit);
      const size_t id = digits ? std::stoul(key) : m.size();
      if (id >= m.size() || seen[id])
        throw UsageError(origin_ + ": id2label keys must be the ids 0.." + std::to_string(m.size() - 1) + ", got \"" +
                         key + "\"");
      if (!it.value().is_string()) wrong_type("id2label", "an object mapping ids to names");
      labels[id] = it.value().get<std::string>();
      seen[id] = true;
    }
    return labels;
  }

  void expect(const char* key, const std::string& fallback, const std::string& supported) const {
    const auto value = string(key, fallback);
    if (value != supported)
      throw UsageError(origin_ + ": " + key + " \"" + value + "\" is not supported (expected " + supported + ")");
  }

 private:
  const nlohmann::json& at(const char* key) const {
    if (!j_.contains(key)) throw UsageError(origin_ + ": missing \"" + key + "\"");
    return j_.at(key);
  }
  [[noreturn]] void wrong_type(const char* key, const char* expected) const {
    throw UsageError(origin_ + ": \"" + key + "\" must be " + expected + ", got " + j_.at(key).dump());
  }

  const nlohmann::json& j_;
  const std::string& origin_;
};

// The architectures a config may name for its model_type: the classifier (or
// LM) tandem trains, and base checkpoints whose head is replaced.
struct ArchitectureNames {
  std::string trained;
  std::vector<std::string> bases;
};

const ArchitectureNames& names_of(Architecture a) {
  static const ArchitectureNames gpt2{"GPT2LMHeadModel", {"GPT2Model"}};
  static const ArchitectureNames bert{"BertForSequenceClassification", {"BertModel", "BertForMaskedLM", "BertForPreTraining"}};
  static const ArchitectureNames distilbert{"DistilBertForSequenceClassification", {"DistilBertModel", "DistilBertForMaskedLM"}};
  return a == Architecture::Gpt2 ? gpt2 : a == Architecture::Bert ? bert : distilbert;
}

// Whether the checkpoint is a base model (head to be created); refuses any
// architecture tandem cannot load, by name.
bool is_base_checkpoint(const ConfigFields& f, Architecture a, const std::string& origin) {
  const auto architectures = f.strings("architectures");
  if (architectures.empty()) return a != Architecture::Gpt2;
  if (architectures.size() != 1)
    throw UsageError(origin + ": \"architectures\" names " + std::to_string(architectures.size()) +
                     " classes, expected one");
  const auto& names = names_of(a);
  if (architectures[0] == names.trained) return false;
  if (std::find(names.bases.begin(), names.bases.end(), architectures[0]) != names.bases.end()) return true;
  std::string expected = names.trained;
  for (const auto& b : names.bases) expected += ", " + b;
  throw UsageError(origin + ": architecture " + architectures[0] + " is not supported (expected " + expected + ")");
}

void read_labels(const ConfigFields& f, ModelConfig& c) {
  c.labels = f.id2label();
  c.num_labels = c.labels.empty() ? f.integer("num_labels", 2) : static_cast<int>(c.labels.size());
  // HF's placeholder names stand for integer labels.
  bool placeholders = true;
  for (size_t i = 0; i < c.labels.size(); ++i) placeholders = placeholders && c.labels[i] == "LABEL_" + std::to_string(i);
  if (placeholders) c.labels.clear();
}

// Where an architecture's config.json keeps the sizes and rates every model
// has, with transformers' defaults (configuration_gpt2.py, _bert.py,
// _distilbert.py) where a key may be absent.
struct ConfigKeys {
  ModelFamily family;
  Architecture architecture;
  const char *layers, *heads, *width, *feed_forward, *positions;
  const char* dropout;
  const char* attention_dropout;  // both default to 0.1
  const char *activation_key, *activation;  // the one activation tandem implements
};

const ConfigKeys kGpt2{ModelFamily::Gpt, Architecture::Gpt2, "n_layer", "n_head", "n_embd", "n_inner", "n_positions",
                       "resid_pdrop", "attn_pdrop", "activation_function", "gelu_new"};
const ConfigKeys kBert{ModelFamily::Encoder, Architecture::Bert, "num_hidden_layers", "num_attention_heads",
                       "hidden_size", "intermediate_size", "max_position_embeddings", "hidden_dropout_prob",
                       "attention_probs_dropout_prob", "hidden_act", "gelu"};
const ConfigKeys kDistilBert{ModelFamily::Encoder, Architecture::DistilBert, "n_layers", "n_heads", "dim", "hidden_dim",
                             "max_position_embeddings", "dropout", "attention_dropout", "activation", "gelu"};

// The fields every architecture has, read through its keys.
ModelConfig common_config(const ConfigFields& f, const ConfigKeys& k, const std::string& origin) {
  ModelConfig c;
  c.family = k.family;
  c.architecture = k.architecture;
  c.base_checkpoint = is_base_checkpoint(f, c.architecture, origin);
  c.n_layer = f.integer(k.layers);
  c.n_head = f.integer(k.heads);
  c.d_model = f.integer(k.width);
  // GPT-2's n_inner may be null: 4 x n_embd. The encoders require theirs.
  c.d_ff = k.architecture == Architecture::Gpt2 ? f.integer(k.feed_forward, 4 * c.d_model) : f.integer(k.feed_forward);
  c.vocab_size = f.integer("vocab_size");
  c.max_position = f.integer(k.positions);
  c.dropout = f.number(k.dropout, 0.1);
  c.attention_dropout = f.number(k.attention_dropout, 0.1);
  f.expect(k.activation_key, k.activation, k.activation);
  return c;
}

ModelConfig gpt2_config(const ConfigFields& f, const std::string& origin) {
  ModelConfig c = common_config(f, kGpt2, origin);
  c.classifier_dropout = c.dropout;
  c.layer_norm_eps = f.number("layer_norm_epsilon", 1e-5);
  c.tie_embeddings = f.boolean("tie_word_embeddings", true);
  return c;
}

ModelConfig bert_config(const ConfigFields& f, const std::string& origin) {
  ModelConfig c = common_config(f, kBert, origin);
  c.type_vocab_size = f.integer("type_vocab_size", 2);
  c.classifier_dropout = f.number("classifier_dropout", c.dropout);
  c.layer_norm_eps = f.number("layer_norm_eps", 1e-12);
  c.tie_embeddings = false;
  f.expect("position_embedding_type", "absolute", "absolute");
  if (f.boolean("is_decoder", false)) throw UsageError(origin + ": \"is_decoder\": true is not supported (BERT is read as an encoder)");
  read_labels(f, c);
  return c;
}

ModelConfig distilbert_config(const ConfigFields& f, const std::string& origin) {
  ModelConfig c = common_config(f, kDistilBert, origin);
  c.classifier_dropout = f.number("seq_classif_dropout", 0.2);
  c.sinusoidal_positions = f.boolean("sinusoidal_pos_embds", false);
  c.layer_norm_eps = 1e-12;  // fixed in transformers' DistilBERT
  c.tie_embeddings = false;
  read_labels(f, c);
  return c;
}

nlohmann::json label_maps(const ModelConfig& c, nlohmann::json j) {
  nlohmann::json id2label = nlohmann::json::object(), label2id = nlohmann::json::object();
  for (int i = 0; i < c.num_labels; ++i) {
    const std::string label = c.labels.empty() ? "LABEL_" + std::to_string(i) : c.labels[i];
    id2label[std::to_string(i)] = label;
    label2id[label] = i;
  }
  j["id2label"] = id2label;
  j["label2id"] = label2id;
  return j;
}

}  // namespace

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
    throw UsageError(path.string() + ": not valid JSON: " + json_error_reason(e));
  }
  return config_from_hf_json(j, path.string());
}

ModelConfig config_from_hf_json(const nlohmann::json& j, const std::string& origin) {
  if (!j.is_object()) throw UsageError(origin + ": expected a JSON object");
  const ConfigFields fields(j, origin);
  const auto type = fields.string("model_type", "");
  ModelConfig c;
  if (type == "gpt2") c = gpt2_config(fields, origin);
  else if (type == "bert") c = bert_config(fields, origin);
  else if (type == "distilbert") c = distilbert_config(fields, origin);
  else throw UsageError(origin + ": model_type \"" + type + "\" is not supported (expected gpt2, bert or distilbert)");
  c.name = origin;
  c.validate();
  return c;
}

nlohmann::json config_to_hf_json(const ModelConfig& c) {
  nlohmann::json j;
  switch (c.architecture) {
    case Architecture::Gpt2:
      j = {{"model_type", "gpt2"},
           {"architectures", {names_of(c.architecture).trained}},
           {"n_layer", c.n_layer},
           {"n_head", c.n_head},
           {"n_embd", c.d_model},
           {"n_inner", c.d_ff},
           {"vocab_size", c.vocab_size},
           {"n_positions", c.max_position},
           {"n_ctx", c.max_position},
           {"resid_pdrop", c.dropout},
           {"embd_pdrop", c.dropout},
           {"attn_pdrop", c.attention_dropout},
           {"layer_norm_epsilon", c.layer_norm_eps},
           {"activation_function", "gelu_new"},
           {"tie_word_embeddings", c.tie_embeddings},
           {"bos_token_id", 0},
           {"eos_token_id", 0}};
      break;
    case Architecture::Bert:
      j = label_maps(c, {{"model_type", "bert"},
                         {"architectures", {names_of(c.architecture).trained}},
                         {"num_hidden_layers", c.n_layer},
                         {"num_attention_heads", c.n_head},
                         {"hidden_size", c.d_model},
                         {"intermediate_size", c.d_ff},
                         {"vocab_size", c.vocab_size},
                         {"max_position_embeddings", c.max_position},
                         {"type_vocab_size", c.type_vocab_size},
                         {"hidden_act", "gelu"},
                         {"hidden_dropout_prob", c.dropout},
                         {"attention_probs_dropout_prob", c.attention_dropout},
                         {"classifier_dropout", c.classifier_dropout},
                         {"layer_norm_eps", c.layer_norm_eps},
                         {"position_embedding_type", "absolute"},
                         {"pad_token_id", 0}});
      break;
    case Architecture::DistilBert:
      j = label_maps(c, {{"model_type", "distilbert"},
                         {"architectures", {names_of(c.architecture).trained}},
                         {"n_layers", c.n_layer},
                         {"n_heads", c.n_head},
                         {"dim", c.d_model},
                         {"hidden_dim", c.d_ff},
                         {"vocab_size", c.vocab_size},
                         {"max_position_embeddings", c.max_position},
                         {"dropout", c.dropout},
                         {"attention_dropout", c.attention_dropout},
                         {"seq_classif_dropout", c.classifier_dropout},
                         {"activation", "gelu"},
                         {"sinusoidal_pos_embds", c.sinusoidal_positions},
                         {"tie_weights_", false},
                         {"pad_token_id", 0}});
      break;
  }
  j["torch_dtype"] = "float32";
  return j;
}

}  // namespace tandem
