#pragma once
// BERT layers with Hugging Face's names (BertForSequenceClassification):
// word, position and token-type embeddings, post-norm blocks with exact (erf)
// GELU, and the head: the pooler (dense + tanh on the first position, [CLS])
// followed by the classifier.

#include "engine/model/layer.h"
#include "engine/model/model_config.h"

namespace tandem {

class BertEmbedding : public Layer {
 public:
  explicit BertEmbedding(const ModelConfig& c);
  // Token types from the batch (a pair's second text is type 1); without
  // them every token is type 0, as transformers assumes.
  torch::Tensor forward(const torch::Tensor& input_ids, const BatchContext& ctx) override;
  LayerCost cost(int64_t T) const override;

 private:
  double dropout_;
  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr}, token_type_embeddings{nullptr};
  torch::nn::LayerNorm norm{nullptr};
};

class BertBlock : public Layer {
 public:
  BertBlock(const ModelConfig& c, int index);
  torch::Tensor forward(const torch::Tensor& x, const BatchContext& ctx) override;
  LayerCost cost(int64_t T) const override;

 private:
  int n_head_, d_, d_ff_;
  double dropout_, attention_dropout_;
  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr}, attention_dense{nullptr};
  torch::nn::Linear intermediate_dense{nullptr}, output_dense{nullptr};
  torch::nn::LayerNorm attention_norm{nullptr}, output_norm{nullptr};
};

// bert.pooler.dense -> tanh -> dropout -> classifier, on the first position.
// The pooler belongs to BertModel's checkpoint; only the classifier is new
// when a base model is fine-tuned.
class BertClassifierHead : public Layer {
 public:
  explicit BertClassifierHead(const ModelConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const BatchContext& ctx) override;
  LayerCost cost(int64_t T) const override;

 private:
  double dropout_;
  torch::nn::Linear pooler_dense{nullptr}, classifier{nullptr};
};

}  // namespace tandem
