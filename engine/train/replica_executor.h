#pragma once
// The whole model on this rank: one process, or one data-parallel replica.
// A GradientSync, when given, averages gradients across replicas during
// backward (parallel/ddp); without one this is plain single-process training.

#include "engine/model/transformer_model.h"
#include "engine/train/step_executor.h"
#include "engine/train/world.h"

namespace tandem {

class GradientSync {
 public:
  virtual ~GradientSync() = default;
  // Called before each micro-step's backward; `sync` is true on the last one
  // (gradients of earlier micro-steps only accumulate, like DDP's no_sync()).
  virtual void before_backward(bool sync) = 0;
  // Called after the last backward: waits for the reductions in flight and
  // leaves averaged gradients in the parameters.
  virtual void finish() = 0;
};

class ReplicaExecutor : public StepExecutor {
 public:
  ReplicaExecutor(TransformerModel& model, World& world, GradientSync* sync);

  LossSums forward_backward(const std::vector<Batch>& micro_steps) override;
  EvalSums evaluate(const Batch& batch) override;
  NamedTensors named_parameters() const override { return model_.named_parameters(); }
  // Replicas hold identical averaged gradients: the local norm is the global one.
  torch::Tensor global_grad_norm_squared(torch::Tensor local) override { return local; }
  bool writes_shard() const override { return world_.is_main(); }
  std::string shard_suffix() const override { return ""; }
  NamedTensors full_model_on_main() override;
  void train_mode(bool on) override { model_.train(on); }

 private:
  TransformerModel& model_;
  World& world_;
  GradientSync* sync_;
};

}  // namespace tandem
