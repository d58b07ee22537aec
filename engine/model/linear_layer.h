#pragma once
// nn.Linear as the encoder families use it: created with BERT's initialisation
// (N(0, 0.02) weights, zero biases) and applied through split_affine, so its
// backward splits for the zero-bubble schedules while the module keeps
// Hugging Face's parameter names ("weight", "bias", [out, in]).

#include "engine/model/split_affine.h"

#include <torch/torch.h>

namespace tandem {

constexpr double kEncoderInitStd = 0.02;

inline torch::nn::Linear make_linear(int in, int out) {
  torch::nn::Linear l(torch::nn::LinearOptions(in, out));
  torch::NoGradGuard no_grad;
  l->weight.normal_(0.0, kEncoderInitStd);
  l->bias.zero_();
  return l;
}

inline torch::Tensor apply_linear(const torch::nn::Linear& l, const torch::Tensor& x) {
  return split_affine(x, l->weight, l->bias, AffineLayout::OutIn);
}

}  // namespace tandem
