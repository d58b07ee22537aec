#pragma once
// The language-model head and its cross-entropy, fused and computed in chunks
// of rows, so that the [tokens, vocabulary] logits never exist at once. At
// GPT-2 sizes with 16 x 1024 tokens the full float32 logits are 16384 x 50304
// x 4 B = 3.1 GiB, and the plain composition (logits, log-softmax, their
// gradients) keeps several such tensors alive; here one chunk's worth is live
// at a time, and backward recomputes each chunk's logits instead of saving them.
//
// Composed of ATen ops, so one implementation serves the CPU and CUDA; the
// plain composition below is its twin, and the tests compare the two.

#include <torch/torch.h>

#include <cstdint>

namespace tandem::kernels {

// Mean over the N rows of cross_entropy(hidden @ weight[:real_vocab]^T, targets),
// differentiable in hidden and weight.
//   hidden  [N, d] (float32, the final norm's output)
//   weight  [V_padded, d]: rows >= real_vocab are padding. Their logits are
//           computed (the matmul keeps its padded, tile-friendly shape) and then
//           masked out of the softmax, so they change neither the loss nor any
//           gradient, and their rows of the weight gradient are exactly zero.
//   targets [N] int64 in [0, real_vocab). No ignore_index: the engine's LM
//           data never produces one.
//   chunk_rows: rows per chunk; a chunk's float32 logits are chunk_rows x V_padded x 4 B.
// Under autocast for hidden's device the matmuls run in the autocast dtype
// (bf16 or fp16), as autocast would run the head; the log-sum-exp, the softmax
// and the loss are float32. Backward saves only hidden, weight, targets and the
// per-row log-sum-exp, and computes only the gradients autograd asks for (the
// zero-bubble schedule asks for the input's and the weight's separately).
torch::Tensor chunked_lm_head_cross_entropy(const torch::Tensor& hidden, const torch::Tensor& weight,
                                            const torch::Tensor& targets, int64_t real_vocab, int64_t chunk_rows);

// The twin: the same loss through the full [N, real_vocab] logits and ATen's
// cross_entropy (autocast applies to its matmul as it would to the head's).
torch::Tensor lm_head_cross_entropy_reference(const torch::Tensor& hidden, const torch::Tensor& weight,
                                              const torch::Tensor& targets, int64_t real_vocab);

}  // namespace tandem::kernels
