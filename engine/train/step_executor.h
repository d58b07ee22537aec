#pragma once
// How one optimizer step's forward and backward run on this rank. The trainer
// owns the loop (data, schedule of steps, clipping, optimizer, metrics,
// checkpoints); an executor owns what differs between strategies: the whole
// model on one rank (optionally with a data-parallel gradient sync), or one
// pipeline stage running its schedule.

#include "engine/checkpoint/safetensors.h"
#include "engine/data/batch.h"

#include <vector>

namespace tandem {

// Sums this rank contributes to a job-wide mean: value = Σ sum / Σ weight.
// `sum` stays on the device (a float64 scalar) so that a step never waits for
// it; `weight` is known on the host and the same at every step.
struct LossSums {
  torch::Tensor sum;
  double weight = 0;
};

struct EvalSums {
  double loss_sum = 0;  // loss × count
  double correct = 0;   // classification only
  double count = 0;     // tokens (LM) or examples (classification)
};

class StepExecutor {
 public:
  virtual ~StepExecutor() = default;
  // Forward and backward over this rank's share of one optimizer step, one
  // batch per gradient-accumulation micro-step. Afterwards every local
  // parameter holds the gradient one process would have computed for the whole
  // global batch (mean loss).
  virtual LossSums forward_backward(const std::vector<Batch>& micro_steps) = 0;
  // float16: backward starts from loss × scale (a one-element device tensor);
  // undefined means no scaling.
  void set_loss_scale(torch::Tensor scale) { loss_scale_ = std::move(scale); }
  virtual EvalSums evaluate(const Batch& batch) = 0;

  // Parameters this rank updates (its stage's, or all), with HF names.
  virtual NamedTensors named_parameters() const = 0;
  // Σ over the ranks that hold distinct parameters of their local sums of squares.
  // `local` is a float32 scalar on the device; so is the result.
  virtual torch::Tensor global_grad_norm_squared(torch::Tensor local) = 0;
  // Whether this rank writes model/optimizer shards into checkpoints, and the shard's name suffix.
  virtual bool writes_shard() const = 0;
  virtual std::string shard_suffix() const = 0;
  // The full model's parameters on the main rank (gathered from stages when cut); empty elsewhere.
  virtual NamedTensors full_model_on_main() = 0;
  virtual void train_mode(bool on) = 0;

 protected:
  // The tensor backward starts from: the loss, scaled for float16.
  torch::Tensor scaled_for_backward(const torch::Tensor& loss) const {
    return loss_scale_.defined() ? loss * loss_scale_.squeeze() : loss;
  }
  torch::Tensor loss_scale_;
};

}  // namespace tandem
