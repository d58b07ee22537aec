#pragma once
// A GPT's layer list as the cluster model sees it: per layer, its parameters,
// the forward flops per token split into weight matmuls and the attention core
// (which has no weight gradient), the activations it stashes per token, and
// how many operators it launches. Torch-free: it reads only the shape, so
// `tandem bench --predict` needs no model in memory.
//
// Flops (2 per multiply-add), per token, sequence length T:
//   block  matmuls 2(4d^2 + 2 d f), attention core 4 T d (QK^T and AV)
//   head   matmuls 2 V d (V the padded vocabulary)
// Backward: input gradient = matmuls + 2 x attention core, weight gradient =
// matmuls, so forward + backward = 3 x forward (the 6N + 12 L d T of llm.c).

#include <string>
#include <vector>

namespace tandem::cluster {

struct ModelShape {
  std::string name;
  int layers = 0;        // transformer blocks
  int heads = 0;
  int d_model = 0;
  int d_ff = 0;
  int vocab = 0;         // rows of the embedding in memory (padded)
  int max_position = 0;
  bool tied = true;      // head shares the embedding
};

struct LayerCostProfile {
  std::string name;                  // "embedding", "block 3", "norm", "head"
  double parameters = 0;
  double matmul_flops_per_token = 0;     // forward, weight matmuls
  double attention_flops_per_token = 0;  // forward, attention core
  double activation_bytes_per_token = 0; // stashed for backward, half precision
  int forward_ops = 0;                   // operators launched by one forward
};

// Throws UsageError naming the field when a size is below 1 or the heads do
// not divide d_model.
void check_shape(const ModelShape& shape);

// embedding, block 0 .. block L-1, norm, head.
std::vector<LayerCostProfile> gpt_layer_costs(const ModelShape& shape, int sequence_length);

}  // namespace tandem::cluster
