// Per-layer parameters, flops and stashed activations of a GPT from its shape.
// Activations follow Korthikanti et al. 2022 ("Reducing Activation
// Recomputation in Large Transformer Models", eq. 2): 34 d + 5 a T bytes per
// token and layer in half precision without recomputation (docs/clusters.md).
#include "parallel/cluster_model/layer_costs.h"

#include "engine/error.h"

namespace tandem::cluster {
namespace {

void require_positive(int value, const char* field, const std::string& model) {
  if (value < 1)
    throw UsageError("model " + model + ": " + field + " is " + std::to_string(value) + " (expected at least 1)");
}

}  // namespace

void check_shape(const ModelShape& s) {
  require_positive(s.layers, "n_layer", s.name);
  require_positive(s.heads, "n_head", s.name);
  require_positive(s.d_model, "n_embd", s.name);
  require_positive(s.d_ff, "n_inner", s.name);
  require_positive(s.vocab, "vocab_size", s.name);
  require_positive(s.max_position, "n_positions", s.name);
  if (s.d_model % s.heads != 0)
    throw UsageError("model " + s.name + ": n_head " + std::to_string(s.heads) + " does not divide n_embd " +
                     std::to_string(s.d_model));
}

std::vector<LayerCostProfile> gpt_layer_costs(const ModelShape& s, int T) {
  check_shape(s);
  const double d = s.d_model, f = s.d_ff, V = s.vocab, a = s.heads;
  std::vector<LayerCostProfile> layers;
  // Token and position lookups: no matmul; the stash is the token ids.
  layers.push_back({"embedding", V * d + static_cast<double>(s.max_position) * d, 0, 0, 0, 2});
  for (int i = 0; i < s.layers; ++i) {
    LayerCostProfile block;
    block.name = "block " + std::to_string(i);
    block.parameters = 12 * d * d + 13 * d;  // ln_1, c_attn, c_proj, ln_2, c_fc, mlp c_proj
    block.matmul_flops_per_token = 2 * (4 * d * d + 2 * d * f);
    block.attention_flops_per_token = 4.0 * T * d;
    block.activation_bytes_per_token = 34 * d + 5 * a * T;
    // ln, qkv, split, attention, proj, add, ln, fc, gelu, proj, add, dropout x2
    block.forward_ops = 13;
    layers.push_back(block);
  }
  layers.push_back({"norm", 2 * d, 0, 0, 4 * d, 1});
  // The loss runs the head in 512-row chunks and keeps each row's log-sum-exp:
  // the stash is the head's input (fp32) and one number per token.
  layers.push_back({"head", s.tied ? 0 : V * d, 2 * V * d, 0, 4 * d + 4, 4});
  return layers;
}

}  // namespace tandem::cluster
