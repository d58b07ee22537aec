#pragma once
// Affine maps (GPT-2's Conv1D and nn.Linear) whose backward splits in two, for
// the zero-bubble pipeline schedules (Qi et al., "Zero Bubble Pipeline
// Parallelism", ICLR 2024): the input gradient dX = dY·Wᵀ is on the critical
// path, the weight gradient dW = Xᵀ·dY is not and can wait.
//
// Without a WeightGradientStash in scope, split_affine's backward is the
// ordinary one. With one in scope (DeferWeightGradients), every backward
// through split_affine computes dX only and records (X, dY, W, b) in the stash;
// WeightGradientStash::apply later computes dW and db from those and
// accumulates them into the parameters through autograd, so .grad, gradient
// hooks and the data-parallel reducer see them as from any backward.

#include <mutex>
#include <vector>

#include <torch/torch.h>

namespace tandem {

enum class AffineLayout {
  InOut,  // Conv1D: w [in, out], y = x·w + b
  OutIn,  // nn.Linear: w [out, in], y = x·wᵀ + b
};

// Over the last axis of x; b may be undefined (no bias).
torch::Tensor split_affine(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b,
                           AffineLayout layout);

class WeightGradientStash {
 public:
  // One affine map's deferred weight-gradient work.
  struct Deferred {
    torch::Tensor x;       // [rows, in], in the compute dtype
    torch::Tensor dy;      // [rows, out], in the compute dtype
    torch::Tensor weight;  // the parameters themselves
    torch::Tensor bias;    // undefined without bias
    AffineLayout layout = AffineLayout::InOut;
  };

  void defer(Deferred work);
  // A gradient computed already (parameters outside split_affine), accumulated
  // with the deferred ones by apply.
  void add_ready(const torch::Tensor& parameter, const torch::Tensor& gradient);
  bool empty() const;
  // dW = Xᵀ·dY (or dYᵀ·X) and db = Σ dY for every deferred map, then one
  // autograd pass from the parameters accumulates these and the ready
  // gradients. The stash is empty afterwards.
  void apply();

 private:
  mutable std::mutex mutex_;  // the autograd engine may run backward on its device threads
  std::vector<Deferred> deferred_;
  std::vector<torch::Tensor> ready_parameters_, ready_gradients_;
};

// While alive, backward passes through split_affine with one of `weights`
// defer their weight gradients into `stash`. Keyed by weight, not by thread:
// on GPUs the autograd engine runs backward on its own threads. One stash per
// weight at a time.
class DeferWeightGradients {
 public:
  DeferWeightGradients(WeightGradientStash& stash, const std::vector<torch::Tensor>& weights);
  ~DeferWeightGradients();
  DeferWeightGradients(const DeferWeightGradients&) = delete;
  DeferWeightGradients& operator=(const DeferWeightGradients&) = delete;

 private:
  std::vector<const c10::TensorImpl*> weights_;
};

}  // namespace tandem
