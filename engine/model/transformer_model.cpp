#include "engine/model/transformer_model.h"

#include "engine/error.h"
#include "engine/model/bert_layers.h"
#include "engine/model/encoder_layers.h"
#include "engine/model/gpt_layers.h"
#include "engine/train/precision.h"

namespace tandem {

TransformerModel TransformerModel::build(const ModelConfig& config, uint64_t seed) {
  config.validate();
  torch::manual_seed(seed);
  TransformerModel m;
  m.config_ = config;
  if (config.family == ModelFamily::Gpt) {
    auto embedding = std::make_shared<GptEmbedding>(config);
    m.layers_.push_back(embedding);
    for (int i = 0; i < config.n_layer; ++i) m.layers_.push_back(std::make_shared<GptBlock>(config, i));
    m.layers_.push_back(std::make_shared<GptFinalNorm>(config));
    m.gpt_head_ = std::make_shared<GptHead>(config, embedding->wte);
    m.layers_.push_back(m.gpt_head_);
  } else if (config.architecture == Architecture::Bert) {
    m.layers_.push_back(std::make_shared<BertEmbedding>(config));
    for (int i = 0; i < config.n_layer; ++i) m.layers_.push_back(std::make_shared<BertBlock>(config, i));
    m.layers_.push_back(std::make_shared<BertClassifierHead>(config));
  } else {
    m.layers_.push_back(std::make_shared<EncoderEmbedding>(config));
    for (int i = 0; i < config.n_layer; ++i) m.layers_.push_back(std::make_shared<EncoderBlock>(config, i));
    m.layers_.push_back(std::make_shared<ClassifierHead>(config));
  }
  return m;
}

torch::Tensor TransformerModel::forward(const torch::Tensor& x, const BatchContext& ctx, size_t begin,
                                        size_t end) const {
  const AutocastGuard autocast(x.device().type(), autocast_);
  torch::Tensor h = x;
  for (size_t i = begin; i < end; ++i) h = layers_[i]->forward(h, ctx);
  return h;
}

LossOutput TransformerModel::loss(const torch::Tensor& x, const BatchContext& ctx, size_t begin,
                                  const torch::Tensor& targets) const {
  if (begin >= layers_.size())
    throw RuntimeFailure("internal: loss from layer " + std::to_string(begin) + " of a model of " +
                         std::to_string(layers_.size()) + " layers");
  if (!gpt_head_) {
    auto logits = forward(x, ctx, begin, layers_.size());
    return {model_loss(config_.family, logits, targets), logits};
  }
  const AutocastGuard autocast(x.device().type(), autocast_);  // the head's matmuls run under it too
  const auto hidden = forward(x, ctx, begin, layers_.size() - 1);
  return {gpt_head_->loss(hidden, targets), torch::Tensor()};
}

std::vector<std::pair<std::string, torch::Tensor>> TransformerModel::named_parameters(size_t begin, size_t end) const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (size_t i = begin; i < end; ++i)
    for (const auto& item : layers_[i]->named_parameters(/*recurse=*/true))
      out.emplace_back(layers_[i]->prefix() + item.key(), item.value());
  return out;
}

std::vector<torch::Tensor> TransformerModel::parameters() const {
  std::vector<torch::Tensor> out;
  for (auto& [name, p] : named_parameters()) out.push_back(p);
  return out;
}

int64_t TransformerModel::parameter_count() const {
  int64_t n = 0;
  for (auto& [name, p] : named_parameters()) n += p.numel();
  return n;
}

void TransformerModel::train(bool on) {
  for (auto& l : layers_) l->train(on);
}

void TransformerModel::to(const torch::Device& device) {
  // Module::to moves parameters with set_data, keeping each tensor's identity,
  // so the tied head still shares the embedding's wte afterwards.
  for (auto& l : layers_) l->to(device);
}

torch::Tensor model_loss(ModelFamily family, const torch::Tensor& logits, const torch::Tensor& targets) {
  const auto full = logits.to(torch::kFloat32);
  if (family == ModelFamily::Gpt)
    return torch::nn::functional::cross_entropy(full.reshape({-1, full.size(-1)}), targets.reshape({-1}));
  return torch::nn::functional::cross_entropy(full, targets);
}

}  // namespace tandem
