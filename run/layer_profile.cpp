// Per-layer timing on the CPU (layer_profile.h). Each layer runs alone on a
// random input of its boundary's shape: token ids for the embedding, hidden
// states [examples, block_size, d_model] elsewhere; the head runs with the
// loss, as the last pipeline stage and the replica executor run it.
#include "run/layer_profile.h"

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

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

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

// Clip and AdamW over every parameter, as the trainer runs them each step.
double optimizer_seconds(TransformerModel& model, int repeats) {
  for (auto& p : model.parameters()) p.mutable_grad() = torch::randn_like(p) * 1e-3;
  AdamW optimizer(model.named_parameters(), adamw_settings(TrainArgs{}));
  const auto params = model.parameters();
  std::vector<double> times;
  for (int k = 0; k <= repeats; ++k) {
    const auto t0 = Clock::now();
    clip_grad_norm(params, 1.0, [](torch::Tensor sq) { return sq; });
    optimizer.step();
    if (k > 0) times.push_back(since(t0));
  }
  return median(times);
}

}  // namespace

cluster::MeasuredProfile profile_layers(const ProfileRequest& request) {
  if (request.microbatch_examples.empty()) throw UsageError("profile: no microbatch sizes to time");
  TransformerModel model = TransformerModel::build(request.model, static_cast<uint64_t>(request.seed));
  model.train(true);
  cluster::MeasuredProfile profile;
  for (int examples : request.microbatch_examples)
    profile.layers_at_tokens[examples * request.block_size] =
        time_layers(model, request.block_size, examples, request.repeats);
  profile.partition_per_token = partition_weights(model, request.block_size, 0.0);
  for (const auto& layer : model.layers())
    profile.activation_bytes_per_token.push_back(layer->cost(request.block_size).activation_bytes_per_token);
  profile.optimizer_s_per_parameter =
      optimizer_seconds(model, request.repeats) / static_cast<double>(std::max<int64_t>(1, model.parameter_count()));
  return profile;
}

}  // namespace tandem::run
