#include "engine/model/bert_layers.h"

#include "engine/model/attention.h"
#include "engine/model/linear_layer.h"

namespace tandem {
namespace {

// A module that only groups children under a name ("attention", "self").
std::shared_ptr<torch::nn::Module> group(torch::nn::Module& parent, const std::string& name) {
  return parent.register_module(name, std::make_shared<torch::nn::Module>());
}

}  // namespace

BertEmbedding::BertEmbedding(const ModelConfig& c) : Layer("embedding", "bert."), dropout_(c.dropout) {
  auto emb = group(*this, "embeddings");
  word_embeddings = emb->register_module("word_embeddings", torch::nn::Embedding(c.vocab_size, c.d_model));
  position_embeddings = emb->register_module("position_embeddings", torch::nn::Embedding(c.max_position, c.d_model));
  token_type_embeddings = emb->register_module("token_type_embeddings", torch::nn::Embedding(c.type_vocab_size, c.d_model));
  norm = emb->register_module("LayerNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model}).eps(c.layer_norm_eps)));
  torch::NoGradGuard no_grad;
  for (auto* e : {&word_embeddings, &position_embeddings, &token_type_embeddings})
    (*e)->weight.normal_(0.0, kEncoderInitStd);
}

torch::Tensor BertEmbedding::forward(const torch::Tensor& input_ids, const BatchContext& ctx) {
  const auto T = input_ids.size(1);
  auto positions = torch::arange(T, torch::TensorOptions().dtype(torch::kLong).device(input_ids.device()));
  // Without types, type 0's row broadcast over every position.
  auto types = ctx.token_type_ids.defined() ? token_type_embeddings(ctx.token_type_ids) : token_type_embeddings->weight[0];
  auto h = word_embeddings(input_ids) + types + position_embeddings(positions);
  return maybe_dropout(norm(h), dropout_, is_training());
}

LayerCost BertEmbedding::cost(int64_t) const {
  const int64_t d = word_embeddings->weight.size(1);
  const int64_t params = word_embeddings->weight.numel() + position_embeddings->weight.numel() +
                         token_type_embeddings->weight.numel() + 2 * d;
  return {params, 10.0 * d, 8.0 * d};
}

BertBlock::BertBlock(const ModelConfig& c, int index)
    : Layer("block", "bert.encoder.layer." + std::to_string(index) + "."),
      n_head_(c.n_head),
      d_(c.d_model),
      d_ff_(c.d_ff),
      dropout_(c.dropout),
      attention_dropout_(c.attention_dropout) {
  const auto ln = torch::nn::LayerNormOptions({d_}).eps(c.layer_norm_eps);
  auto attention_group = group(*this, "attention");
  auto self = group(*attention_group, "self");
  query = self->register_module("query", make_linear(d_, d_));
  key = self->register_module("key", make_linear(d_, d_));
  value = self->register_module("value", make_linear(d_, d_));
  auto attention_output = group(*attention_group, "output");
  attention_dense = attention_output->register_module("dense", make_linear(d_, d_));
  attention_norm = attention_output->register_module("LayerNorm", torch::nn::LayerNorm(ln));
  intermediate_dense = group(*this, "intermediate")->register_module("dense", make_linear(d_, d_ff_));
  auto output = group(*this, "output");
  output_dense = output->register_module("dense", make_linear(d_ff_, d_));
  output_norm = output->register_module("LayerNorm", torch::nn::LayerNorm(ln));
}

torch::Tensor BertBlock::forward(const torch::Tensor& x, const BatchContext& ctx) {
  const int64_t B = x.size(0), T = x.size(1), hd = d_ / n_head_;
  auto heads = [&](const torch::Tensor& t) { return t.view({B, T, n_head_, hd}).transpose(1, 2); };
  auto y = attention(heads(apply_linear(query, x)), heads(apply_linear(key, x)), heads(apply_linear(value, x)),
                     /*causal=*/false, ctx.attention_mask, attention_dropout_, is_training());
  y = apply_linear(attention_dense, y.transpose(1, 2).reshape({B, T, d_}));
  auto h = attention_norm(maybe_dropout(y, dropout_, is_training()) + x);
  auto f = apply_linear(output_dense, torch::gelu(apply_linear(intermediate_dense, h)));
  return output_norm(maybe_dropout(f, dropout_, is_training()) + h);
}

LayerCost BertBlock::cost(int64_t T) const {
  const double d = d_, f = d_ff_;
  const int64_t params = 4 * (d_ * d_ + d_) + (d_ * d_ff_ + d_ff_) + (d_ff_ * d_ + d_) + 4 * d_;
  const double flops = 2.0 * (4 * d * d + 2 * d * f) + 4.0 * T * d;
  const double act_bytes = 4.0 * (7 * d + 2 * f + 2.0 * n_head_ * T);
  return {params, flops, act_bytes};
}

BertClassifierHead::BertClassifierHead(const ModelConfig& c) : Layer("head", ""), dropout_(c.classifier_dropout) {
  pooler_dense = group(*group(*this, "bert"), "pooler")->register_module("dense", make_linear(c.d_model, c.d_model));
  classifier = register_module("classifier", make_linear(c.d_model, c.num_labels));
}

torch::Tensor BertClassifierHead::forward(const torch::Tensor& x, const BatchContext&) {
  auto pooled = torch::tanh(apply_linear(pooler_dense, x.select(1, 0)));
  return apply_linear(classifier, maybe_dropout(pooled, dropout_, is_training()));
}

LayerCost BertClassifierHead::cost(int64_t T) const {
  const int64_t d = pooler_dense->weight.size(0), n = classifier->weight.size(0);
  // Runs once per sequence, so per token it is divided by T.
  return {d * d + d + n * d + n, 2.0 * (d * d + n * d) / static_cast<double>(T), 4.0 * 2 * d / T};
}

}  // namespace tandem
