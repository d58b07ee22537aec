#include "parallel/ddp/gradient_reducer.h"

#include "engine/error.h"
#include "parallel/comm/consistency.h"
#include "parallel/comm/tensor_dtype.h"

#include <torch/csrc/autograd/utils/lambda_post_hook.h>

namespace tandem::ddp {

GradientReducer::GradientReducer(std::vector<torch::Tensor> parameters, comm::Communicator& group,
                                 ReducerOptions options)
    : params_(std::move(parameters)), group_(group) {
  std::vector<int64_t> numels;
  for (const auto& p : params_) numels.push_back(p.numel());
  const int64_t element_bytes = params_.empty() ? 4 : params_.front().element_size();
  layout_ = layout_buckets(numels, element_bytes, options.first_bucket_bytes, options.bucket_cap_bytes);
  comm::check_same_across_ranks(group_, "data-parallel bucket layout", layout_.describe());

  // Replicas start from rank 0's weights, whatever each rank's seed did.
  {
    torch::NoGradGuard no_grad;
    for (auto& p : params_) {
      auto wire = options.stage_through_host ? p.detach().to(torch::kCPU).contiguous() : p.detach();
      group_.broadcast(wire.data_ptr(), wire.numel(), comm::dtype_of(wire, "data parallel"), 0);
      if (options.stage_through_host) p.copy_(wire);
    }
  }

  for (const auto& b : layout_.buckets) {
    flat_.push_back(torch::zeros({b.numel}, params_.front().options().requires_grad(false)));
    on_wire_.push_back(options.stage_through_host ? torch::zeros({b.numel}, flat_.back().options().device(torch::kCPU))
                                                  : flat_.back());
  }
  pending_.assign(layout_.buckets.size(), 0);
  filled_.assign(params_.size(), false);
  work_.assign(layout_.buckets.size(), nullptr);
  launched_at_.assign(layout_.buckets.size(), Clock::time_point{});
  for (size_t b = 0; b < layout_.buckets.size(); ++b)
    for (const auto& slot : layout_.buckets[b].slots) {
      auto& p = params_[slot.parameter];
      auto view = flat_[b].narrow(0, slot.offset, slot.numel).view(p.sizes());
      if (p.grad().defined()) view.copy_(p.grad());
      p.mutable_grad() = view;
    }
  for (size_t k = 0; k < params_.size(); ++k) {
    // After autograd has added this backward's gradient into .grad (the
    // bucket view), the parameter's part of its bucket is final.
    auto accumulator = torch::autograd::impl::grad_accumulator(params_[k]);
    const uintptr_t key = accumulator->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
        [this, k](const torch::autograd::variable_list& outputs, const torch::autograd::variable_list&) {
          on_gradient_accumulated(k);
          return outputs;
        }));
    hooks_.emplace_back(std::move(accumulator), key);
  }
}

GradientReducer::~GradientReducer() {
  for (auto& [accumulator, key] : hooks_) accumulator->del_post_hook(key);
  // Reductions in flight write into flat_; never free it under them.
  for (auto& w : work_)
    if (w) {
      try {
        w->wait();
      } catch (...) {
      }
    }
}

void GradientReducer::before_backward(bool sync) {
  std::lock_guard<std::mutex> lock(mutex_);
  sync_ = sync;
  if (!sync) return;
  for (size_t b = 0; b < layout_.buckets.size(); ++b) pending_[b] = static_cast<int>(layout_.buckets[b].slots.size());
  std::fill(filled_.begin(), filled_.end(), false);
  next_to_launch_ = 0;
  overlap_ = {};
}

void GradientReducer::on_gradient_accumulated(size_t k) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!sync_ || filled_[k]) return;
  filled_[k] = true;
  if (--pending_[layout_.bucket_of[k]] == 0) launch_ready_buckets();
}

void GradientReducer::launch_ready_buckets() {
  while (next_to_launch_ < layout_.buckets.size() && pending_[next_to_launch_] == 0) launch(next_to_launch_++);
}

void GradientReducer::launch(size_t b) {
  launched_at_[b] = Clock::now();
  if (!on_wire_[b].is_same(flat_[b])) on_wire_[b].copy_(flat_[b]);
  work_[b] = group_.allreduce_async(on_wire_[b].data_ptr(), on_wire_[b].numel(), comm::dtype_of(on_wire_[b], "data parallel"),
                                    comm::ReduceOp::Average);
}

void GradientReducer::finish() {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto backward_end = Clock::now();
  // Parameters that got no gradient this step (unused) contribute what their
  // views hold (zeros unless earlier micro-steps accumulated), so every rank
  // still reduces every bucket, in order.
  for (size_t b = next_to_launch_; b < layout_.buckets.size(); ++b) {
    for (const auto& s : layout_.buckets[b].slots) filled_[s.parameter] = true;
    pending_[b] = 0;
  }
  launch_ready_buckets();
  sync_ = false;
  lock.unlock();

  torch::NoGradGuard no_grad;
  std::vector<BucketTiming> timings(layout_.buckets.size());
  for (size_t b = 0; b < layout_.buckets.size(); ++b) {
    const bool staged = !on_wire_[b].is_same(flat_[b]);
    if (staged) {
      work_[b]->wait();
      flat_[b].copy_(on_wire_[b]);  // the averages land in the gradients' views
    } else {
      work_[b]->order_compute_after();
    }
    // Where the backend stamps completion (MPI) that time counts; otherwise
    // (NCCL, whose host does not wait) when the host moved on.
    timings[b] = {launched_at_[b], work_[b]->completed_at().value_or(Clock::now())};
    work_[b] = nullptr;
  }
  overlap_ = measure_overlap(timings, backward_end);
}

}  // namespace tandem::ddp
