#pragma once
// One batch of examples as tensors, on the CPU until the trainer moves it.

#include <torch/torch.h>

namespace tandem {

struct Batch {
  torch::Tensor input_ids;         // [B, T] int64
  torch::Tensor targets;           // [B, T] int64 next tokens (LM) or [B] labels (classification)
  torch::Tensor attention_mask{};  // [B, T] bool (classification); undefined for LM
  torch::Tensor token_type_ids{};  // [B, T] int64, 0 for the first text, 1 for a pair's second (classification); undefined for LM

  int64_t examples() const { return input_ids.size(0); }
  int64_t tokens() const { return input_ids.numel(); }
  Batch slice(int64_t begin, int64_t end) const;  // examples [begin, end), contiguous on the batch axis
  // To a CUDA device: through pinned host memory, asynchronously on the
  // current stream (kernels queued after it see the data; the host does not
  // wait). The caching host allocator keeps the pinned buffers until the copy is done.
  Batch to(const torch::Device& device) const;
};

inline Batch Batch::slice(int64_t begin, int64_t end) const {
  Batch b;
  b.input_ids = input_ids.slice(0, begin, end);
  b.targets = targets.slice(0, begin, end);
  if (attention_mask.defined()) b.attention_mask = attention_mask.slice(0, begin, end);
  if (token_type_ids.defined()) b.token_type_ids = token_type_ids.slice(0, begin, end);
  return b;
}

inline Batch Batch::to(const torch::Device& device) const {
  const bool async = device.is_cuda();
  auto move = [&](const torch::Tensor& t) {
    if (!t.defined() || t.device() == device) return t;
    return (async && t.is_cpu() ? t.pin_memory() : t).to(device, /*non_blocking=*/async);
  };
  Batch b;
  b.input_ids = move(input_ids);
  b.targets = move(targets);
  b.attention_mask = move(attention_mask);
  b.token_type_ids = move(token_type_ids);
  return b;
}

}  // namespace tandem
