#pragma once
// Data-parallel gradient averaging overlapped with backward. Each parameter's
// .grad is a view into its bucket (DDP's gradient_as_bucket_view): autograd
// accumulates straight into the bucket, so gradients take no second copy. A
// hook after each parameter's accumulation counts it in; a bucket whose
// gradients are all in starts its allreduce(average) in place at once, while
// backward goes on with earlier layers. Buckets start strictly in layout order,
// so every rank issues the same collectives in the same order. On
// accumulation micro-steps nothing is reduced (DDP's no_sync). finish() orders
// the compute stream after the reductions (a stream wait on NCCL, a host wait
// on MPI). Gradients must be zeroed in place (AdamW::zero_grad), never reset.

#include "engine/train/replica_executor.h"
#include "parallel/comm/communicator.h"
#include "parallel/ddp/bucket_layout.h"
#include "parallel/ddp/overlap.h"

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

namespace tandem::ddp {

struct ReducerOptions {
  int64_t first_bucket_bytes = 1 << 20;
  int64_t bucket_cap_bytes = 25 << 20;
  // The communicator moves host memory only (MPI) while the parameters live
  // on a GPU: buckets are copied to host buffers around each reduction.
  bool stage_through_host = false;
};

class GradientReducer : public GradientSync {
 public:
  // Collective: checks that every rank has the same bucket layout, and
  // broadcasts rank 0's parameters so all replicas start identical.
  GradientReducer(std::vector<torch::Tensor> parameters, comm::Communicator& group, ReducerOptions options);
  ~GradientReducer() override;

  void before_backward(bool sync) override;
  void finish() override;

  const BucketLayout& layout() const { return layout_; }
  const OverlapStats& last_step_overlap() const { return overlap_; }

 private:
  using Clock = std::chrono::steady_clock;
  void on_gradient_accumulated(size_t parameter);
  void launch_ready_buckets();
  void launch(size_t bucket);

  std::vector<torch::Tensor> params_;
  comm::Communicator& group_;
  BucketLayout layout_;
  std::vector<torch::Tensor> flat_;      // one contiguous buffer per bucket, on the parameters' device; grads view it
  std::vector<torch::Tensor> on_wire_;   // what the communicator reduces: flat_, or its host copy
  std::vector<int> pending_;         // gradients still missing per bucket
  std::vector<bool> filled_;         // per parameter, this step
  std::vector<std::shared_ptr<comm::Work>> work_;
  std::vector<Clock::time_point> launched_at_;
  size_t next_to_launch_ = 0;
  bool sync_ = false;
  std::mutex mutex_;  // autograd may run hooks on its own threads
  // Each parameter's gradient accumulator, kept alive, and our hook's key on it.
  std::vector<std::pair<std::shared_ptr<torch::autograd::Node>, uintptr_t>> hooks_;
  OverlapStats overlap_;
};

}  // namespace tandem::ddp
