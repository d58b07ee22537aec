#include "parallel/pipeline/executor/pipeline_executor.h"

#include "common/activity/activity_log.h"
#include "engine/error.h"
#include "parallel/comm/tensor_dtype.h"
#include "engine/model/gpt_layers.h"
#include "engine/model/split_affine.h"
#include "engine/train/optimizer.h"

#include <algorithm>
#include <chrono>
#include <map>

namespace tandem::pipeline {
namespace {

double now_us() {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The activity log's name for an action: transfers and the reduction are communication.
activity::Kind activity_kind(ActionKind kind) {
  switch (kind) {
    case ActionKind::Forward: return activity::Kind::Forward;
    case ActionKind::Backward: return activity::Kind::Backward;
    case ActionKind::BackwardInput: return activity::Kind::BackwardInput;
    case ActionKind::BackwardWeight: return activity::Kind::BackwardWeight;
    default: return activity::Kind::Communication;
  }
}

}  // namespace

// What one (chunk, microbatch) keeps between its forward and its backward.
struct PipelineExecutor::Stash {
  torch::Tensor input;        // received activation (requires grad), undefined on stage 0
  torch::Tensor output;       // stage output, or the scaled loss on the last stage
  torch::Tensor grad_output;  // received from the next stage
  torch::Tensor grad_input;   // to send to the previous stage (or hand over, on this rank)
  int64_t counted_bytes = 0;  // of the tensors above that this stash adds to the step's activation bytes
  // Zero-bubble split: what BackwardInput left for BackwardWeight (the affine
  // maps' (X, dY) and the other parameters' gradients).
  WeightGradientStash weight_grads;
};

PipelineExecutor::PipelineExecutor(TransformerModel& model, std::vector<ChunkLayers> stage_layers,
                                   const parallel::ProcessGroups& groups, ScheduleSpec spec,
                                   ddp::ReducerOptions reducer_options, torch::Device device)
    : model_(model),
      stage_layers_(std::move(stage_layers)),
      me_(groups.me),
      pipeline_group_(groups.pipeline.get()),
      data_group_(groups.data.get()),
      tied_embedding_group_(groups.tied_embedding.get()),
      spec_(spec),
      device_(device),
      stage_through_host_(reducer_options.stage_through_host) {
  const Schedule full = build_schedule(spec_);
  placement_ = full.placement;
  if (static_cast<int>(stage_layers_.size()) != placement_.stages())
    throw RuntimeFailure("pipeline: " + std::to_string(stage_layers_.size()) + " stages of layers for a schedule of " +
                         std::to_string(placement_.stages()) + " stages");
  for (int c = 0; c < placement_.chunks(); ++c) chunks_.push_back(stage_layers_[stage_of(c)]);
  schedule_ = full[me_.pp_rank];
  channels_ = std::make_unique<OrderedChannels>(*pipeline_group_, channel_pairs(full));
  step_order_ = send_order_of(full);
  evaluation_order_ = evaluation_send_order(placement_);
  // Boundaries carry the autocast dtype (half the bytes under bf16), as Megatron does.
  boundary_dtype_ = model_.autocast().value_or(torch::kFloat32);
  // The last stage computes logits with the embedding matrix; when the
  // embedding lives on another rank the head keeps its own copy, and the two
  // copies' gradients are summed each step so both stay equal (as one tensor
  // would be in one process).
  if (model_.config().family == ModelFamily::Gpt && model_.config().tie_embeddings && holds_head() &&
      !holds_embedding()) {
    auto head = std::dynamic_pointer_cast<GptHead>(model_.layers().back());
    head->untie_into_own_copy();
    tied_copy_ = {head->weight()};
  }
  if (me_.dp_size > 1) {
    std::vector<torch::Tensor> params;
    for (auto& [name, p] : named_parameters()) params.push_back(p);
    reducer_ = std::make_unique<ddp::GradientReducer>(params, *data_group_, reducer_options);
  }
}

PipelineExecutor::~PipelineExecutor() {
  for (auto& w : sends_in_flight_) {
    try {
      w->wait();
    } catch (...) {
    }
  }
}

bool PipelineExecutor::holds_embedding() const {
  for (const auto& c : chunks_)
    if (c.begin == 0) return true;
  return false;
}

bool PipelineExecutor::holds_head() const {
  for (const auto& c : chunks_)
    if (c.end == model_.size()) return true;
  return false;
}

NamedTensors PipelineExecutor::named_parameters() const {
  NamedTensors out;
  for (const auto& c : chunks_) {
    auto part = model_.named_parameters(c.begin, c.end);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

std::string PipelineExecutor::shard_suffix() const {
  return "-stage" + std::to_string(me_.pp_rank) + "-of-" + std::to_string(me_.pp_size);
}

std::vector<int64_t> PipelineExecutor::boundary_shape(int64_t examples) const {
  // Shapes are agreed before the step: [examples, block, d_model] on every boundary.
  return {examples, block_size_, model_.config().d_model};
}

void PipelineExecutor::post_send(const torch::Tensor& t, int peer_rank, const MessageKey& key) {
  auto wire = t.detach().to(stage_through_host_ ? torch::Device(torch::kCPU) : t.device(), boundary_dtype_).contiguous();
  send_buffers_.push_back(wire);
  sends_in_flight_.push_back(channels_->send(wire, peer_rank, key));
}

torch::Tensor PipelineExecutor::receive(const std::vector<int64_t>& shape, int peer_rank, const MessageKey& key) {
  const auto options =
      torch::TensorOptions().dtype(boundary_dtype_).device(stage_through_host_ ? torch::Device(torch::kCPU) : device_);
  auto wire = channels_->receive(peer_rank, key, [&] { return torch::empty(shape, options); });
  return stage_through_host_ ? wire.to(device_) : wire;
}

void PipelineExecutor::wait_for_sends() {
  for (auto& w : sends_in_flight_) w->wait();
  sends_in_flight_.clear();
  send_buffers_.clear();
}

LossSums PipelineExecutor::forward_backward(const std::vector<Batch>& micro_steps) {
  torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device_));
  const double accumulation = static_cast<double>(micro_steps.size());
  timeline_.clear();
  peak_stashed_ = 0;
  peak_stashed_bytes_ = 0;
  for (size_t k = 0; k < micro_steps.size(); ++k)
    run_step(micro_steps[k], /*sync=*/k + 1 == micro_steps.size(), 1.0 / (accumulation * spec_.microbatches),
             loss_sum);
  if (rank_of_stage(last_stage()) != me_.pp_rank || !holds_head()) return {torch::Tensor(), 0};
  return {loss_sum / accumulation, 1.0};
}

// One step's state: the replica batch cut into microbatches, what each
// (chunk, microbatch) keeps between its forward and its backward, and the
// accounting of those stashed activations.
struct PipelineExecutor::StepState {
  const Batch& batch;
  int64_t microbatch_size;
  bool sync;           // the last micro-step of the optimizer step: gradients are reduced
  double loss_scale;   // 1 / (accumulation · microbatches): the replica batch's mean loss
  torch::Tensor& loss_sum;
  int last_backward;   // index of the last action that accumulates gradients
  size_t action_index = 0;
  std::map<std::pair<int, int>, Stash> stash;  // (chunk, microbatch)
  int64_t stashed_bytes = 0;

  Stash& of(const Action& act) { return stash[{act.chunk, act.microbatch}]; }
  void count(Stash& s, const torch::Tensor& t) {
    s.counted_bytes += t.numel() * t.element_size();
    stashed_bytes += t.numel() * t.element_size();
  }
  // A microbatch's backward is done: its activations go.
  void release(Stash& s) {
    stashed_bytes -= s.counted_bytes;
    s.counted_bytes = 0;
    s.input = torch::Tensor();
    s.output = torch::Tensor();
    s.grad_output = torch::Tensor();
  }
  int live() const {
    int n = 0;
    for (const auto& [key, s] : stash) n += s.input.defined() || s.output.defined();
    return n;
  }
  // Whether the reducer should start its reductions in this backward.
  bool reduce_in_this_backward() const { return sync && static_cast<int>(action_index) == last_backward; }
};

void PipelineExecutor::run_step(const Batch& batch, bool sync, double loss_scale, torch::Tensor& loss_sum) {
  const int m = spec_.microbatches;
  if (batch.examples() % m != 0)
    throw UsageError("per_device_train_batch_size " + std::to_string(batch.examples()) +
                     " is not divisible by microbatches " + std::to_string(m));
  block_size_ = batch.input_ids.size(1);
  channels_->begin(step_order_);
  int last_backward = -1;
  for (size_t a = 0; a < schedule_.size(); ++a)
    if (schedule_[a].kind == ActionKind::Backward || schedule_[a].kind == ActionKind::BackwardWeight)
      last_backward = static_cast<int>(a);
  StepState step{batch, batch.examples() / m, sync, loss_scale, loss_sum, last_backward, 0, {}, 0};

  for (; step.action_index < schedule_.size(); ++step.action_index) {
    const Action& act = schedule_[step.action_index];
    const double t0 = now_us();
    const auto started = activity::Clock::now();
    switch (act.kind) {
      case ActionKind::RecvActivation:
      case ActionKind::RecvGradient: receive_boundary(act, step); break;
      case ActionKind::SendActivation:
      case ActionKind::SendGradient: send_boundary(act, step); break;
      case ActionKind::Forward: forward(act, step); break;
      case ActionKind::Backward: backward(act, step); break;
      case ActionKind::BackwardInput: backward_input(act, step); break;
      case ActionKind::BackwardWeight: backward_weight(act, step); break;
      case ActionKind::ReduceGradients: reduce_gradients(step); break;
    }
    if (is_compute(act.kind)) timeline_.push_back({act, t0, now_us()});
    if (activity::enabled()) activity::record(activity_kind(act.kind), started, activity::Clock::now(), act.microbatch);
    peak_stashed_ = std::max(peak_stashed_, step.live());
    peak_stashed_bytes_ = std::max(peak_stashed_bytes_, step.stashed_bytes);
  }
  {
    activity::Scope waiting(activity::Kind::Communication);
    wait_for_sends();
  }
}

void PipelineExecutor::receive_boundary(const Action& act, StepState& step) {
  auto buffer = receive(boundary_shape(step.microbatch_size), rank_of_stage(act.peer_stage),
                        message_key(act, stage_of(act.chunk)));
  Stash& s = step.of(act);
  if (act.kind == ActionKind::RecvGradient) {
    // Backward starts from a gradient of the output's own dtype.
    s.grad_output = s.output.defined() ? buffer.to(s.output.scalar_type()) : buffer;
  } else {
    s.input = buffer.requires_grad_(true);
    step.count(s, buffer);
  }
}

void PipelineExecutor::send_boundary(const Action& act, StepState& step) {
  const bool gradient = act.kind == ActionKind::SendGradient;
  Stash& s = step.of(act);
  post_send(gradient ? s.grad_input : s.output, rank_of_stage(act.peer_stage), message_key(act, stage_of(act.chunk)));
  if (gradient) s.grad_input = torch::Tensor();
}

// The V's turn (stages p-1 and p on rank p-1): the previous stage's output
// becomes this stage's input on the rank itself, cut from its graph as a
// received tensor is, so each stage keeps a backward of its own. It takes the
// boundary dtype the wire would give it, so the numbers do not depend on where
// the stages live.
void PipelineExecutor::hand_over_activation(const Action& act, StepState& step) {
  Stash& s = step.of(act);
  const Stash& previous = step.stash[{placement_.chunk_of(stage_of(act.chunk) - 1), act.microbatch}];
  torch::Tensor handed = previous.output.detach().to(boundary_dtype_);
  // A cast makes a copy the stash holds; without one it is the previous stage's output, counted there.
  if (handed.data_ptr() != previous.output.data_ptr()) step.count(s, handed);
  s.input = handed.requires_grad_(true);
}

// The V's turn backwards: the next stage's input gradient, on this rank.
void PipelineExecutor::hand_over_gradient(const Action& act, StepState& step) {
  Stash& s = step.of(act);
  Stash& next = step.stash[{placement_.chunk_of(stage_of(act.chunk) + 1), act.microbatch}];
  s.grad_output = next.grad_input.to(boundary_dtype_).to(s.output.scalar_type());
  next.grad_input = torch::Tensor();
}

void PipelineExecutor::forward(const Action& act, StepState& step) {
  const int stage = stage_of(act.chunk);
  const ChunkLayers& layers = chunks_[act.chunk];
  const int64_t mb = step.microbatch_size;
  Stash& s = step.of(act);
  const Batch part = step.batch.slice(act.microbatch * mb, (act.microbatch + 1) * mb);
  const BatchContext ctx{part.input_ids, part.attention_mask, part.token_type_ids};
  if (stage > 0 && placement_.same_rank(stage, stage - 1)) hand_over_activation(act, step);
  const torch::Tensor in = stage == 0 ? part.input_ids : s.input;
  if (stage == last_stage()) {
    // The last stage ends with the head: its loss comes without full logits.
    auto loss = model_.loss(in, ctx, layers.begin, part.targets).loss;
    step.loss_sum += loss.detach().to(torch::kFloat64) / spec_.microbatches;
    s.output = scaled_for_backward(loss * step.loss_scale);  // mean over the replica's batch, as one process computes it
  } else {
    s.output = model_.forward(in, ctx, layers.begin, layers.end);
    step.count(s, s.output);
  }
}

void PipelineExecutor::backward(const Action& act, StepState& step) {
  const int stage = stage_of(act.chunk);
  Stash& s = step.of(act);
  if (stage < last_stage() && placement_.same_rank(stage, stage + 1)) hand_over_gradient(act, step);
  if (reducer_) reducer_->before_backward(step.reduce_in_this_backward());
  std::vector<torch::Tensor> grads;
  if (stage != last_stage()) grads.push_back(s.grad_output);
  torch::autograd::backward({s.output}, grads);
  if (stage > 0) s.grad_input = s.input.grad();
  step.release(s);
}

// One walk of the graph: the input gradient, the gradients of the parameters
// outside the affine maps (layer norms, embeddings, the head: cheap, or not
// separable), and (X, dY) of every affine map, whose weight gradients
// BackwardWeight computes. Nothing is accumulated yet, so the data-parallel
// reducer sees all of a microbatch's gradients in BackwardWeight.
void PipelineExecutor::backward_input(const Action& act, StepState& step) {
  const int stage = stage_of(act.chunk);
  const ChunkLayers& layers = chunks_[act.chunk];
  Stash& s = step.of(act);
  if (stage < last_stage() && placement_.same_rank(stage, stage + 1)) hand_over_gradient(act, step);
  std::vector<torch::Tensor> grads;
  if (stage != last_stage()) grads.push_back(s.grad_output);
  std::vector<torch::Tensor> wrt;
  if (stage > 0) wrt.push_back(s.input);
  const size_t first_parameter = wrt.size();
  std::vector<torch::Tensor> parameters;
  for (auto& [name, p] : model_.named_parameters(layers.begin, layers.end)) parameters.push_back(p);
  // A head tied to an embedding on this rank (the V puts both on rank 0) uses
  // wte without owning it: its share of wte's gradient must be asked for here.
  if (layers.end == model_.size() && model_.config().family == ModelFamily::Gpt &&
      model_.config().tie_embeddings && tied_copy_.empty())
    parameters.push_back(std::dynamic_pointer_cast<GptHead>(model_.layers().back())->weight());
  for (const torch::Tensor& p : parameters) {
    // A tied weight listed twice would get its gradient twice.
    if (std::none_of(wrt.begin() + first_parameter, wrt.end(), [&](const torch::Tensor& t) { return t.is_same(p); }))
      wrt.push_back(p);
  }
  std::vector<torch::Tensor> result;
  {
    DeferWeightGradients defer(s.weight_grads, {wrt.begin() + first_parameter, wrt.end()});
    result = torch::autograd::grad({s.output}, wrt, grads, /*retain_graph=*/false, /*create_graph=*/false,
                                   /*allow_unused=*/true);
  }
  if (stage > 0) s.grad_input = result[0];
  for (size_t i = first_parameter; i < wrt.size(); ++i) {
    if (result[i].defined()) s.weight_grads.add_ready(wrt[i], result[i]);
  }
}

void PipelineExecutor::backward_weight(const Action& act, StepState& step) {
  Stash& s = step.of(act);
  if (reducer_) reducer_->before_backward(step.reduce_in_this_backward());
  s.weight_grads.apply();
  step.release(s);
}

// The trainer steps the optimizer after clipping; the executor's last action
// finishes the data-parallel reduction and sums the tied embedding's copies.
void PipelineExecutor::reduce_gradients(StepState& step) {
  if (!step.sync) return;
  if (reducer_) reducer_->finish();
  sync_tied_gradients();
}

void PipelineExecutor::sync_tied_gradients() {
  const bool tied = model_.config().family == ModelFamily::Gpt && model_.config().tie_embeddings;
  // With the V placement the embedding and the head share rank 0: one tensor, nothing to sum.
  if (!tied || tied_embedding_group_->size() < 2 || placement_.same_rank(0, last_stage())) return;
  torch::Tensor grad;
  if (!tied_copy_.empty()) {
    grad = tied_copy_.front().mutable_grad();
  } else {
    auto embedding = std::dynamic_pointer_cast<GptEmbedding>(model_.layers().front());
    grad = embedding->wte.mutable_grad();
  }
  if (!grad.defined()) throw RuntimeFailure("pipeline: tied embedding has no gradient after backward");
  auto wire = stage_through_host_ ? grad.to(torch::kCPU) : grad;
  tied_embedding_group_->allreduce(wire.data_ptr(), wire.numel(), comm::dtype_of(wire, "pipeline"), comm::ReduceOp::Sum);
  if (stage_through_host_) grad.copy_(wire);
}

torch::Tensor PipelineExecutor::global_grad_norm_squared(torch::Tensor local) {
  // The head's copy of the tied embedding is the same parameter as wte: count it once.
  if (!tied_copy_.empty()) local = local - grad_norm_squared(tied_copy_).to(local.device());
  // Stages hold different parameters: their sums add up over the pipeline.
  // Over MPI this is a host round trip (the pipeline's transfers are staged
  // through host memory there anyway).
  auto wire = local.to(torch::kCPU, torch::kFloat32).contiguous();
  pipeline_group_->host_group().allreduce(wire.data_ptr(), 1, comm::DType::Float32, comm::ReduceOp::Sum);
  return wire.to(local.device());
}

EvalSums PipelineExecutor::evaluate(const Batch& batch) {
  torch::NoGradGuard no_grad;
  block_size_ = batch.input_ids.size(1);
  channels_->begin(evaluation_order_);
  const BatchContext ctx{batch.input_ids, batch.attention_mask, batch.token_type_ids};
  EvalSums sums;
  torch::Tensor handed;  // the previous chunk's output, when its next stage is on this rank too (the V's turn)
  for (size_t c = 0; c < chunks_.size(); ++c) {
    const int stage = stage_of(static_cast<int>(c));
    torch::Tensor h = batch.input_ids;
    if (stage > 0 && placement_.same_rank(stage, stage - 1))
      h = handed.to(boundary_dtype_);
    else if (stage > 0)
      h = receive(boundary_shape(batch.examples()), rank_of_stage(stage - 1), MessageKey{false, 0, stage - 1, stage});
    if (stage < last_stage()) {
      torch::Tensor out = model_.forward(h, ctx, chunks_[c].begin, chunks_[c].end);
      if (placement_.same_rank(stage, stage + 1)) {
        handed = out;
        continue;
      }
      post_send(out, rank_of_stage(stage + 1), MessageKey{false, 0, stage, stage + 1});
      wait_for_sends();
      continue;
    }
    const auto out = model_.loss(h, ctx, chunks_[c].begin, batch.targets);
    const auto family = model_.config().family;
    const double count = family == ModelFamily::Gpt ? static_cast<double>(batch.targets.numel())
                                                    : static_cast<double>(batch.examples());
    sums.loss_sum = out.loss.item<double>() * count;
    sums.count = count;
    if (family == ModelFamily::Encoder) sums.correct = out.logits.argmax(-1).eq(batch.targets).sum().item<double>();
  }
  return sums;
}

NamedTensors PipelineExecutor::full_model_on_main() {
  // Replica 0's stages send their parameters to its first rank (world rank 0
  // under both placements), which assembles the whole model in HF layout.
  if (me_.dp_rank != 0) return {};
  const bool main = me_.pp_rank == 0;
  channels_->begin(parameter_gather_order(placement_));
  for (size_t stage = 0; stage < stage_layers_.size(); ++stage) {
    const int owner = rank_of_stage(static_cast<int>(stage));
    if (owner == 0 || (!main && owner != me_.pp_rank)) continue;
    // Both ends list the stage's parameters of the tied model: the head's own
    // copy of wte is not part of it.
    std::vector<torch::Tensor> params;
    for (auto& [name, p] : model_.named_parameters(stage_layers_[stage].begin, stage_layers_[stage].end))
      if (tied_copy_.empty() || !p.is_same(tied_copy_.front())) params.push_back(p);
    int64_t total = 0;
    for (auto& p : params) total += p.numel();
    const MessageKey key = parameter_gather_key(static_cast<int>(stage));
    torch::NoGradGuard no_grad;
    if (main) {
      // Parameters travel in float32 whatever the boundaries carry.
      const auto options = torch::TensorOptions().dtype(torch::kFloat32).device(
          stage_through_host_ ? torch::Device(torch::kCPU) : device_);
      auto flat = channels_->receive(owner, key, [&] { return torch::empty({total}, options); }).to(device_);
      int64_t offset = 0;
      for (auto& p : params) {
        p.copy_(flat.narrow(0, offset, p.numel()).view(p.sizes()));
        offset += p.numel();
      }
    } else {
      std::vector<torch::Tensor> pieces;
      for (auto& p : params) pieces.push_back(p.detach().reshape({-1}));
      auto wire = torch::cat(pieces).to(stage_through_host_ ? torch::Device(torch::kCPU) : device_, torch::kFloat32);
      channels_->send(wire, 0, key)->wait();
    }
  }
  return main ? model_.named_parameters() : NamedTensors{};
}

}  // namespace tandem::pipeline
