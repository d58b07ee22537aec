#include "parallel/ddp/gradient_reducer.h"

#include "engine/error.h"
#include "parallel/comm/consistency.h"

namespace tandem::ddp {
namespace {

comm::DType comm_dtype(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat32: return comm::DType::Float32;
    case torch::kFloat64: return comm::DType::Float64;
    case torch::kBFloat16: return comm::DType::BFloat16;
    case torch::kFloat16: return comm::DType::Float16;
    default: throw RuntimeFailure(std::string("data parallel: unsupported parameter dtype ") + c10::toString(t.scalar_type()));
  }
}

}  // namespace

GradientReducer::GradientReducer(std::vector<torch::Tensor> parameters, comm::Communicator& group,
                                 ReducerOptions options)
    : params_(std::move(parameters)), group_(group) {
  std::vector<int64_t> numels;
  for (const auto& p : params_) numels.push_back(p.numel());
  const int64_t element_bytes = params_.empty() ? 4 : params_.front().element_size();
  plan_ = plan_buckets(numels, element_bytes, options.first_bucket_bytes, options.bucket_cap_bytes);
  comm::check_same_across_ranks(group_, "data-parallel bucket layout", plan_.describe());

  // Replicas start from rank 0's weights, whatever each rank's seed did.
  {
    torch::NoGradGuard no_grad;
    for (auto& p : params_) {
      auto wire = options.stage_through_host ? p.detach().to(torch::kCPU).contiguous() : p.detach();
      group_.broadcast(wire.data_ptr(), wire.numel(), comm_dtype(wire), 0);
      if (options.stage_through_host) p.copy_(wire);
    }
  }

  for (const auto& b : plan_.buckets) {
    flat_.push_back(torch::zeros({b.numel}, params_.front().options().requires_grad(false)));
    on_wire_.push_back(options.stage_through_host ? torch::zeros({b.numel}, flat_.back().options().device(torch::kCPU))
                                                  : flat_.back());
  }
  pending_.assign(plan_.buckets.size(), 0);
  filled_.assign(params_.size(), false);
  work_.assign(plan_.buckets.size(), nullptr);
  launched_at_.assign(plan_.buckets.size(), Clock::time_point{});
  for (size_t k = 0; k < params_.size(); ++k) {
    // The hook sees this backward's gradient before it is accumulated into
    // .grad; adding what .grad already holds gives the accumulated value.
    params_[k].register_hook([this, k](const torch::Tensor& grad) {
      on_gradient(k, grad);
      return torch::Tensor();  // gradient unchanged
    });
  }
}

GradientReducer::~GradientReducer() {
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
  for (size_t b = 0; b < plan_.buckets.size(); ++b) pending_[b] = static_cast<int>(plan_.buckets[b].slots.size());
  std::fill(filled_.begin(), filled_.end(), false);
  next_to_launch_ = 0;
  overlap_ = {};
}

void GradientReducer::on_gradient(size_t k, const torch::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!sync_ || filled_[k]) return;
  const size_t b = plan_.bucket_of[k];
  const auto& slot = *std::find_if(plan_.buckets[b].slots.begin(), plan_.buckets[b].slots.end(),
                                   [k](const BucketSlot& s) { return s.parameter == k; });
  auto view = flat_[b].narrow(0, slot.offset, slot.numel);
  const auto& accumulated = params_[k].grad();
  if (accumulated.defined()) torch::add_out(view, accumulated.reshape({-1}), grad.reshape({-1}));
  else view.copy_(grad.reshape({-1}));
  filled_[k] = true;
  if (--pending_[b] == 0) launch_ready_buckets();
}

void GradientReducer::launch_ready_buckets() {
  while (next_to_launch_ < plan_.buckets.size() && pending_[next_to_launch_] == 0) launch(next_to_launch_++);
}

void GradientReducer::launch(size_t b) {
  launched_at_[b] = Clock::now();
  if (!on_wire_[b].is_same(flat_[b])) on_wire_[b].copy_(flat_[b]);
  work_[b] = group_.allreduce_async(on_wire_[b].data_ptr(), on_wire_[b].numel(), comm_dtype(on_wire_[b]),
                                    comm::ReduceOp::Average);
}

void GradientReducer::finish() {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto backward_end = Clock::now();
  // Parameters that got no gradient this step (unused) contribute zeros, so
  // every rank still reduces every bucket, in order.
  for (size_t b = next_to_launch_; b < plan_.buckets.size(); ++b) {
    for (const auto& s : plan_.buckets[b].slots)
      if (!filled_[s.parameter]) {
        const auto& g = params_[s.parameter].grad();
        auto view = flat_[b].narrow(0, s.offset, s.numel);
        if (g.defined()) view.copy_(g.reshape({-1}));
        else view.zero_();
        filled_[s.parameter] = true;
      }
    pending_[b] = 0;
  }
  launch_ready_buckets();
  sync_ = false;
  lock.unlock();

  torch::NoGradGuard no_grad;
  for (size_t b = 0; b < plan_.buckets.size(); ++b) {
    const bool done_before_end = work_[b]->done();
    work_[b]->wait();
    const auto end = Clock::now();
    const double total = std::chrono::duration<double>(end - launched_at_[b]).count();
    const double hidden = done_before_end ? total
                                          : std::max(0.0, std::chrono::duration<double>(backward_end - launched_at_[b]).count());
    overlap_.comm_seconds += total;
    overlap_.hidden_seconds += std::min(hidden, total);
    work_[b] = nullptr;
    if (!on_wire_[b].is_same(flat_[b])) flat_[b].copy_(on_wire_[b]);
    for (const auto& s : plan_.buckets[b].slots) {
      auto& p = params_[s.parameter];
      auto reduced = flat_[b].narrow(0, s.offset, s.numel).view(p.sizes());
      if (p.grad().defined()) p.mutable_grad().copy_(reduced);
      else p.mutable_grad() = reduced.clone();
    }
  }
}

}  // namespace tandem::ddp
