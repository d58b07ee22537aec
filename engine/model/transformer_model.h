#pragma once
// A whole model as an ordered layer list, built identically on every rank from
// (config, seed), with Hugging Face parameter names.

#include "engine/model/layer.h"
#include "engine/model/model_config.h"

#include <map>
#include <optional>

namespace tandem {

class GptHead;

struct LossOutput {
  torch::Tensor loss;    // mean over tokens (GPT) or examples (classifier), float32
  torch::Tensor logits;  // classifier only, [B, C]; a GPT's [B, T, V] logits are never formed
};

class TransformerModel {
 public:
  // Seeds torch's CPU generator, so every rank builds bit-identical weights.
  static TransformerModel build(const ModelConfig& config, uint64_t seed);

  const ModelConfig& config() const { return config_; }
  const std::vector<LayerPtr>& layers() const { return layers_; }
  size_t size() const { return layers_.size(); }

  // Runs layers [begin, end) on x (token ids when begin == 0).
  torch::Tensor forward(const torch::Tensor& x, const BatchContext& ctx, size_t begin, size_t end) const;
  torch::Tensor forward(const torch::Tensor& input_ids, const BatchContext& ctx) const {
    return forward(input_ids, ctx, 0, layers_.size());
  }

  // Layers [begin, size()) on x and the loss against targets: the path of
  // training and evaluation (forward() stops at logits). A GPT runs its
  // blocks and then the head fused with the cross-entropy, chunk by chunk.
  LossOutput loss(const torch::Tensor& x, const BatchContext& ctx, size_t begin, const torch::Tensor& targets) const;
  LossOutput loss(const torch::Tensor& input_ids, const BatchContext& ctx, const torch::Tensor& targets) const {
    return loss(input_ids, ctx, 0, targets);
  }

  // Parameters of layers [begin, end) under their HF names, in layer order.
  std::vector<std::pair<std::string, torch::Tensor>> named_parameters(size_t begin, size_t end) const;
  std::vector<std::pair<std::string, torch::Tensor>> named_parameters() const { return named_parameters(0, size()); }
  std::vector<torch::Tensor> parameters() const;
  int64_t parameter_count() const;

  void train(bool on);
  // Mixed precision: forward passes run under autocast to this dtype (none: float32).
  void set_autocast(std::optional<torch::ScalarType> dtype) { autocast_ = dtype; }
  std::optional<torch::ScalarType> autocast() const { return autocast_; }
  void to(const torch::Device& device);

 private:
  ModelConfig config_;
  std::vector<LayerPtr> layers_;
  std::shared_ptr<GptHead> gpt_head_;  // layers_.back() of a GPT
  std::optional<torch::ScalarType> autocast_;
};

// Loss of a model output: next-token cross-entropy for the decoder (logits
// [B, T, V], targets [B, T]) or classification cross-entropy (logits [B, C],
// labels [B]). Mean over tokens or examples, computed in float32 whatever
// the logits' dtype. TransformerModel::loss is what training uses; this is the
// composition from full logits.
torch::Tensor model_loss(ModelFamily family, const torch::Tensor& logits, const torch::Tensor& targets);

}  // namespace tandem
