#include "engine/model/encoder_layers.h"

#include "engine/model/attention.h"
#include "engine/model/linear_layer.h"

namespace tandem {
namespace {

// transformers' create_sinusoidal_embeddings: sin on even columns, cos on odd
// ones, column pair j at frequency 10000^(-2j/d). Computed in double as numpy does.
torch::Tensor sinusoidal_table(int positions, int d) {
  auto pos = torch::arange(positions, torch::kDouble).unsqueeze(1);
  auto pair = torch::div(torch::arange(d, torch::kLong), 2, "floor").to(torch::kDouble);
  auto angle = pos / torch::pow(10000.0, 2.0 * pair / d);
  auto table = torch::empty({positions, d}, torch::kDouble);
  table.slice(1, 0, d, 2).copy_(angle.slice(1, 0, d, 2).sin());
  table.slice(1, 1, d, 2).copy_(angle.slice(1, 1, d, 2).cos());
  return table.to(torch::kFloat32);
}

}  // namespace

EncoderEmbedding::EncoderEmbedding(const ModelConfig& c) : Layer("embedding", "distilbert."), dropout_(c.dropout) {
  auto emb = register_module("embeddings", std::make_shared<torch::nn::Module>());
  word_embeddings = emb->register_module("word_embeddings", torch::nn::Embedding(c.vocab_size, c.d_model));
  if (c.sinusoidal_positions) {
    // A fixed table is not a parameter: the optimizer never sees it, and saved
    // models leave it out (transformers recomputes it from the config).
    auto table_owner = emb->register_module("position_embeddings", std::make_shared<torch::nn::Module>());
    position_table_ = table_owner->register_buffer("weight", sinusoidal_table(c.max_position, c.d_model));
  } else {
    position_embeddings = emb->register_module("position_embeddings", torch::nn::Embedding(c.max_position, c.d_model));
  }
  norm = emb->register_module("LayerNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model}).eps(c.layer_norm_eps)));
  torch::NoGradGuard no_grad;
  word_embeddings->weight.normal_(0.0, kEncoderInitStd);
  if (position_embeddings) position_embeddings->weight.normal_(0.0, kEncoderInitStd);
}

torch::Tensor EncoderEmbedding::forward(const torch::Tensor& input_ids, const BatchContext&) {
  const auto T = input_ids.size(1);
  auto positions = torch::arange(T, torch::TensorOptions().dtype(torch::kLong).device(input_ids.device()));
  auto position_rows = position_embeddings ? position_embeddings(positions) : position_table_.index_select(0, positions);
  auto h = norm(word_embeddings(input_ids) + position_rows);
  return maybe_dropout(h, dropout_, is_training());
}

LayerCost EncoderEmbedding::cost(int64_t) const {
  const int64_t d = word_embeddings->weight.size(1);
  const int64_t positions = position_embeddings ? position_embeddings->weight.numel() : 0;
  return {word_embeddings->weight.numel() + positions + 2 * d, 8.0 * d, 8.0 * d};
}

EncoderBlock::EncoderBlock(const ModelConfig& c, int index)
    : Layer("block", "distilbert.transformer.layer." + std::to_string(index) + "."),
      n_head_(c.n_head),
      d_(c.d_model),
      d_ff_(c.d_ff),
      dropout_(c.dropout),
      attention_dropout_(c.attention_dropout) {
  auto attention = register_module("attention", std::make_shared<torch::nn::Module>());
  q_lin = attention->register_module("q_lin", make_linear(d_, d_));
  k_lin = attention->register_module("k_lin", make_linear(d_, d_));
  v_lin = attention->register_module("v_lin", make_linear(d_, d_));
  out_lin = attention->register_module("out_lin", make_linear(d_, d_));
  const auto ln = torch::nn::LayerNormOptions({d_}).eps(c.layer_norm_eps);
  sa_layer_norm = register_module("sa_layer_norm", torch::nn::LayerNorm(ln));
  auto ffn = register_module("ffn", std::make_shared<torch::nn::Module>());
  lin1 = ffn->register_module("lin1", make_linear(d_, d_ff_));
  lin2 = ffn->register_module("lin2", make_linear(d_ff_, d_));
  output_layer_norm = register_module("output_layer_norm", torch::nn::LayerNorm(ln));
}

torch::Tensor EncoderBlock::forward(const torch::Tensor& x, const BatchContext& ctx) {
  const int64_t B = x.size(0), T = x.size(1), hd = d_ / n_head_;
  auto heads = [&](const torch::Tensor& t) { return t.view({B, T, n_head_, hd}).transpose(1, 2); };
  auto y = attention(heads(apply_linear(q_lin, x)), heads(apply_linear(k_lin, x)), heads(apply_linear(v_lin, x)),
                     /*causal=*/false, ctx.attention_mask, attention_dropout_, is_training());
  // DistilBERT applies no dropout to the attention output, only to the FFN's.
  y = apply_linear(out_lin, y.transpose(1, 2).reshape({B, T, d_}));
  auto h = sa_layer_norm(y + x);
  auto f = apply_linear(lin2, torch::gelu(apply_linear(lin1, h)));
  return output_layer_norm(maybe_dropout(f, dropout_, is_training()) + h);
}

LayerCost EncoderBlock::cost(int64_t T) const {
  const double d = d_, f = d_ff_;
  const int64_t params = 4 * (d_ * d_ + d_) + (d_ * d_ff_ + d_ff_) + (d_ff_ * d_ + d_) + 4 * d_;
  const double flops = 2.0 * (4 * d * d + 2 * d * f) + 4.0 * T * d;
  const double act_bytes = 4.0 * (7 * d + 2 * f + 2.0 * n_head_ * T);
  return {params, flops, act_bytes};
}

ClassifierHead::ClassifierHead(const ModelConfig& c) : Layer("head", ""), dropout_(c.classifier_dropout) {
  pre_classifier = register_module("pre_classifier", make_linear(c.d_model, c.d_model));
  classifier = register_module("classifier", make_linear(c.d_model, c.num_labels));
}

torch::Tensor ClassifierHead::forward(const torch::Tensor& x, const BatchContext&) {
  auto pooled = torch::relu(apply_linear(pre_classifier, x.select(1, 0)));
  return apply_linear(classifier, maybe_dropout(pooled, dropout_, is_training()));
}

LayerCost ClassifierHead::cost(int64_t T) const {
  const int64_t d = pre_classifier->weight.size(0), n = classifier->weight.size(0);
  // Runs once per sequence, so per token it is divided by T.
  return {d * d + d + n * d + n, 2.0 * (d * d + n * d) / static_cast<double>(T), 4.0 * 2 * d / T};
}

}  // namespace tandem
