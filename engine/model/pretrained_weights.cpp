#include "engine/model/pretrained_weights.h"

#include "engine/checkpoint/safetensors.h"
#include "engine/error.h"
#include "engine/model/vocab_padding.h"

#include <set>

namespace tandem {
namespace {

// The prefix transformers' task models put before the base model's names.
std::string base_prefix(Architecture a) {
  switch (a) {
    case Architecture::Gpt2: return "transformer.";
    case Architecture::Bert: return "bert.";
    case Architecture::DistilBert: return "distilbert.";
  }
  return "";
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

std::string listed(const std::vector<std::string>& names, size_t most) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < most; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > most) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

}  // namespace

std::string PretrainedLoad::notice(const std::string& path) const {
  std::string line;
  if (!initialised.empty())
    line = path + ": new classification head initialised (" + listed(initialised, 4) +
           "): the checkpoint is a base model, train it before use";
  if (!unused.empty())
    line += std::string(line.empty() ? path + ": " : "; ") + "ignored " + std::to_string(unused.size()) +
            " stored tensor(s) the model does not use (" + listed(unused, 3) + ")";
  return line;
}

PretrainedLoad load_pretrained_weights(const std::string& path, const TransformerModel& model) {
  const auto stored = load_safetensors(path);
  const auto& config = model.config();
  const std::string prefix = base_prefix(config.architecture);
  std::set<std::string> head;
  if (config.family == ModelFamily::Encoder)
    for (const auto& [name, p] : model.named_parameters(model.size() - 1, model.size())) head.insert(name);

  PretrainedLoad load;
  std::set<std::string> used;
  std::map<std::string, torch::Tensor> by_model_name;
  NamedTensors to_fill;
  for (const auto& [name, p] : model.named_parameters()) {
    auto it = stored.find(name);
    if (it == stored.end() && starts_with(name, prefix)) it = stored.find(name.substr(prefix.size()));
    if (it == stored.end()) {
      if (!head.count(name)) throw RuntimeFailure(path + ": missing tensor " + name);
      load.initialised.push_back(name);
      continue;
    }
    if (!at::isFloatingType(it->second.scalar_type()))
      throw RuntimeFailure(path + ": tensor " + it->first + " holds integer data (" +
                           std::string(c10::toString(it->second.scalar_type())) + "), expected floating-point weights");
    used.insert(it->first);
    by_model_name.emplace(name, it->second);
    to_fill.emplace_back(name, p);
  }
  for (const auto& [name, t] : stored)
    if (!used.count(name) && at::isFloatingType(t.scalar_type())) load.unused.push_back(name);
  // Shapes (the vocabulary rows first, which a GPT pads in memory) are checked by name as they are copied.
  copy_into_parameters(pad_vocab_rows(std::move(by_model_name), config, path), to_fill, path);
  return load;
}

}  // namespace tandem
