#pragma once
// DistilBERT layers with Hugging Face's names (nn.Linear layout, [out, in]):
// learned or sinusoidal positions, post-norm blocks, exact GELU,
// classification from the first position (DistilBertForSequenceClassification).

#include "engine/model/layer.h"
#include "engine/model/model_config.h"

namespace tandem {

class EncoderEmbedding : public Layer {
 public:
  explicit EncoderEmbedding(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& input_ids, const BatchContext& ctx) override;
  LayerCost cost(int64_t T) const override;

 private:
  double dropout_;
  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr};  // the latter null when sinusoidal
  torch::Tensor position_table_;                                                 // sinusoidal positions (a buffer)
  torch::nn::LayerNorm norm{nullptr};
};

class EncoderBlock : public Layer {
 public:
  EncoderBlock(const ModelConfig& c, int index);
  torch::Tensor forward(const torch::Tensor& x, const BatchContext& ctx) override;
  LayerCost cost(int64_t T) const override;

 private:
  int n_head_, d_, d_ff_;
  double dropout_, attention_dropout_;
  torch::nn::Linear q_lin{nullptr}, k_lin{nullptr}, v_lin{nullptr}, out_lin{nullptr}, lin1{nullptr}, lin2{nullptr};
  torch::nn::LayerNorm sa_layer_norm{nullptr}, output_layer_norm{nullptr};
};

// pre_classifier -> ReLU -> dropout -> classifier, on the first position.
class ClassifierHead : public Layer {
 public:
  explicit ClassifierHead(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const BatchContext& ctx) override;
  LayerCost cost(int64_t T) const override;

 private:
  double dropout_;
  torch::nn::Linear pre_classifier{nullptr}, classifier{nullptr};
};

}  // namespace tandem
