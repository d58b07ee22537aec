// Per-layer timing on the CPU (layer_profile.h). Each layer runs alone on a
// random input of its boundary's shape: token ids for the embedding, hidden
// states [examples, block_size, d_model] elsewhere; the head runs with the
// loss, as the last pipeline stage and the replica executor run it.
#include "run/layer_profile.h"

#include "common/median.h"

#include "engine/error.h"
#include "engine/model/split_affine.h"
#include "engine/model/transformer_model.h"
#include "engine/train/optimizer.h"
#include "run/parallel_plan.h"

#include <algorithm>
#include <chrono>

namespace tandem::run {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct LayerRun {
  torch::Tensor input, output, grad_output;
};

class LayerTimer {
 public:
  LayerTimer(const TransformerModel& model, int block_size, int examples)
      : model_(model), block_size_(block_size), examples_(examples) {
    ids_ = torch::randint(model.config().vocab_size, {examples, block_size}, torch::kLong);
    targets_ = torch::randint(model.config().vocab_size, {examples, block_size}, torch::kLong);
  }

  // Forward of layer i on a fresh input; the seconds it took go to `seconds`.
  LayerRun forward(size_t i, double* seconds) const {
    LayerRun r;
    r.input = i == 0 ? ids_
                     : torch::randn({examples_, block_size_, model_.config().d_model}).requires_grad_(true);
    const BatchContext ctx{ids_, {}, {}};
    const auto t0 = Clock::now();
    if (i + 1 == model_.size()) {
      r.output = model_.loss(r.input, ctx, i, targets_).loss;
      r.grad_output = torch::ones_like(r.output);
    } else {
      r.output = model_.forward(r.input, ctx, i, i + 1);
      r.grad_output = torch::randn_like(r.output);
    }
    if (seconds) *seconds = since(t0);
    return r;
  }

  double backward(size_t i) const {
    LayerRun r = forward(i, nullptr);
    const auto t0 = Clock::now();
    torch::autograd::backward({r.output}, {r.grad_output});
    return since(t0);
  }

  // The executor's BackwardInput and BackwardWeight (pipeline_executor.cpp).
  std::pair<double, double> split_backward(size_t i) const {
    LayerRun r = forward(i, nullptr);
    std::vector<torch::Tensor> wrt;
    if (i > 0) wrt.push_back(r.input);
    const size_t first_parameter = wrt.size();
    for (auto& [name, p] : model_.named_parameters(i, i + 1))
      if (std::none_of(wrt.begin() + first_parameter, wrt.end(), [&](const torch::Tensor& t) { return t.is_same(p); }))
        wrt.push_back(p);
    WeightGradientStash stash;
    auto t0 = Clock::now();
    {
      DeferWeightGradients defer(stash, {wrt.begin() + first_parameter, wrt.end()});
      const auto result = torch::autograd::grad({r.output}, wrt, {r.grad_output}, false, false, true);
      for (size_t k = first_parameter; k < wrt.size(); ++k)
        if (result[k].defined()) stash.add_ready(wrt[k], result[k]);
    }
    const double input_s = since(t0);
    t0 = Clock::now();
    stash.apply();
    return {input_s, since(t0)};
  }

 private:
  const TransformerModel& model_;
  int64_t block_size_, examples_;
  torch::Tensor ids_, targets_;
};

std::vector<cluster::MeasuredLayer> time_layers(const TransformerModel& model, int block_size, int examples,
                                                int repeats) {
  const LayerTimer timer(model, block_size, examples);
  std::vector<cluster::MeasuredLayer> out;
  for (size_t i = 0; i < model.size(); ++i) {
    std::vector<double> f, b, bi, bw;
    for (int k = 0; k <= repeats; ++k) {  // the first run warms the allocator up and is not counted
      double forward_s = 0;
      timer.forward(i, &forward_s);
      const double backward_s = timer.backward(i);
      const auto [input_s, weight_s] = timer.split_backward(i);
      if (k == 0) continue;
      f.push_back(forward_s);
      b.push_back(backward_s);
      bi.push_back(input_s);
      bw.push_back(weight_s);
    }
    out.push_back({median(f), median(b), median(bi), median(bw)});
  }
  return out;
}

// The whole model's forward with the loss on one microbatch, as one graph,
// as the replica executor runs it.
torch::Tensor microbatch_loss(const TransformerModel& model, const torch::Tensor& ids, const torch::Tensor& targets) {
  BatchContext context;
  context.input_ids = ids;
  return model.loss(ids, context, targets).loss;
}

// Forward with the loss and backward of the whole model; medians.
cluster::MeasuredLayer whole_model_seconds(const TransformerModel& model, int block_size, int examples, int repeats) {
  const auto ids = torch::randint(model.config().vocab_size, {examples, block_size}, torch::kLong);
  const auto targets = torch::randint(model.config().vocab_size, {examples, block_size}, torch::kLong);
  std::vector<double> f, b;
  for (int k = 0; k <= repeats; ++k) {
    auto t0 = Clock::now();
    const auto loss = microbatch_loss(model, ids, targets);
    const double forward_s = since(t0);
    t0 = Clock::now();
    loss.backward();
    if (k == 0) continue;
    f.push_back(forward_s);
    b.push_back(since(t0));
  }
  return {median(f), median(b), 0, 0};
}

// Each layer timed on a graph of its own costs more than its part of the
// whole model's graph (building and freeing the graph, inputs as fresh
// leaves), so the layers are scaled to the whole model's forward and
// backward at the same size; each keeps its measured share. The split
// backward scales with the backward.
void scale_to_whole_model(std::vector<cluster::MeasuredLayer>& layers, const cluster::MeasuredLayer& whole) {
  double forward = 0, backward = 0;
  for (const auto& l : layers) {
    forward += l.forward_s;
    backward += l.backward_s;
  }
  const double f = forward > 0 ? whole.forward_s / forward : 1, b = backward > 0 ? whole.backward_s / backward : 1;
  for (auto& l : layers) {
    l.forward_s *= f;
    l.backward_s *= b;
    l.backward_input_s *= b;
    l.backward_weight_s *= b;
  }
}

// Clip and AdamW over every parameter, as the trainer runs them each step:
// after a forward and backward, which leave the caches holding activations
// rather than the weights, gradients and moments the step reads (back to
// back, the steps ran about a third faster than in training on a machine
// with a large cache). AdamW's first steps allocate its moments and run
// slower: two are not counted.
double optimizer_seconds(TransformerModel& model, int block_size, int examples, int repeats) {
  const auto ids = torch::randint(model.config().vocab_size, {examples, block_size}, torch::kLong);
  AdamW optimizer(model.named_parameters(), adamw_settings(TrainArgs{}));
  const auto params = model.parameters();
  std::vector<double> times;
  constexpr int kWarmup = 2;
  for (int k = 0; k < kWarmup + std::max(repeats, 9); ++k) {
    optimizer.zero_grad();
    microbatch_loss(model, ids, ids).backward();
    const auto t0 = Clock::now();
    // As the trainer steps: the norm's finiteness decides whether the step is skipped.
    const torch::Tensor norm = clip_grad_norm(params, 1.0, [](torch::Tensor sq) { return sq; });
    optimizer.step(norm.isfinite().logical_not().to(torch::kFloat32));
    if (k >= kWarmup) times.push_back(since(t0));
  }
  return median(times);
}

}  // namespace

struct ModelStep::State {
  TransformerModel model;
  torch::Tensor ids;
};

ModelStep::ModelStep(const ModelConfig& config, int block_size, int examples, int seed)
    : state_(std::make_unique<State>(State{TransformerModel::build(config, static_cast<uint64_t>(seed)),
                                           torch::randint(config.vocab_size, {examples, block_size}, torch::kLong)})) {
  state_->model.train(true);
}

ModelStep::~ModelStep() = default;

double ModelStep::seconds() {
  const auto t0 = Clock::now();
  microbatch_loss(state_->model, state_->ids, state_->ids).backward();
  const double s = since(t0);
  for (auto& p : state_->model.parameters()) p.mutable_grad() = torch::Tensor();
  return s;
}

cluster::MeasuredProfile profile_layers(const ProfileRequest& request) {
  if (request.microbatch_examples.empty()) throw UsageError("profile: no microbatch sizes to time");
  TransformerModel model = TransformerModel::build(request.model, static_cast<uint64_t>(request.seed));
  model.train(true);
  cluster::MeasuredProfile profile;
  for (int examples : request.microbatch_examples) {
    const int tokens = examples * request.block_size;
    auto layers = time_layers(model, request.block_size, examples, request.repeats);
    // The whole model sets every layer's scale: timed three times as often (it is quick).
    const cluster::MeasuredLayer whole = whole_model_seconds(model, request.block_size, examples, 3 * request.repeats);
    scale_to_whole_model(layers, whole);
    profile.layers_at_tokens[tokens] = layers;
    profile.whole_model_at_tokens[tokens] = whole;
  }
  profile.partition_per_token = partition_weights(model, request.block_size, 0.0);
  for (const auto& layer : model.layers())
    profile.activation_bytes_per_token.push_back(layer->cost(request.block_size).activation_bytes_per_token);
  profile.optimizer_s_per_parameter =
      optimizer_seconds(model, request.block_size, request.microbatch_examples.back(), request.repeats) /
      static_cast<double>(std::max<int64_t>(1, model.parameter_count()));
  return profile;
}

}  // namespace tandem::run
