#include "engine/model/vocab_padding.h"

#include "engine/error.h"

namespace tandem {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool padded(const ModelConfig& c) { return c.family == ModelFamily::Gpt; }

}  // namespace

bool holds_vocab_rows(const std::string& name) {
  for (const char* p : {"transformer.wte.weight", "lm_head.weight"})
    if (name == p || ends_with(name, std::string(".") + p)) return true;
  return false;
}

NamedTensors strip_vocab_padding(const NamedTensors& tensors, const ModelConfig& c) {
  if (!padded(c)) return tensors;
  NamedTensors out;
  out.reserve(tensors.size());
  for (const auto& [name, t] : tensors) {
    const bool strip = t.dim() == 2 && holds_vocab_rows(name) && t.size(0) == c.padded_vocab();
    out.emplace_back(name, strip ? t.narrow(0, 0, c.vocab_size) : t);
  }
  return out;
}

std::map<std::string, torch::Tensor> pad_vocab_rows(std::map<std::string, torch::Tensor> stored,
                                                    const ModelConfig& c, const std::string& origin) {
  if (!padded(c)) return stored;
  for (auto& [name, t] : stored) {
    if (t.dim() != 2 || !holds_vocab_rows(name)) continue;
    if (t.size(0) != c.vocab_size)
      throw RuntimeFailure(origin + ": tensor " + name + " has " + std::to_string(t.size(0)) +
                           " rows, the model's vocab_size is " + std::to_string(c.vocab_size));
    if (c.padded_vocab() > c.vocab_size)
      t = torch::cat({t, torch::zeros({c.padded_vocab() - c.vocab_size, t.size(1)}, t.options())});
  }
  return stored;
}

}  // namespace tandem
