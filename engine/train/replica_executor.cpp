#include "engine/train/replica_executor.h"

#include "common/activity/activity_log.h"

namespace tandem {

ReplicaExecutor::ReplicaExecutor(TransformerModel& model, World& world, GradientSync* sync)
    : model_(model), world_(world), sync_(sync) {}

LossSums ReplicaExecutor::forward_backward(const std::vector<Batch>& micro_steps) {
  const double scale = 1.0 / static_cast<double>(micro_steps.size());
  torch::Tensor loss_total;
  for (size_t i = 0; i < micro_steps.size(); ++i) {
    const Batch& b = micro_steps[i];
    torch::Tensor loss;
    {
      activity::Scope span(activity::Kind::Forward, static_cast<int>(i));
      loss = model_.loss(b.input_ids, BatchContext{b.input_ids, b.attention_mask, b.token_type_ids}, b.targets).loss;
    }
    if (sync_) sync_->before_backward(i + 1 == micro_steps.size());
    {
      activity::Scope span(activity::Kind::Backward, static_cast<int>(i));
      scaled_for_backward(loss * scale).backward();
    }
    const auto contribution = loss.detach().to(torch::kFloat64) * scale;
    loss_total = loss_total.defined() ? loss_total + contribution : contribution;
  }
  if (sync_) {
    activity::Scope span(activity::Kind::Communication);  // the gradients backward did not hide
    sync_->finish();
  }
  return {loss_total, 1.0};
}

EvalSums ReplicaExecutor::evaluate(const Batch& b) {
  torch::NoGradGuard no_grad;
  const auto out = model_.loss(b.input_ids, BatchContext{b.input_ids, b.attention_mask, b.token_type_ids}, b.targets);
  const auto family = model_.config().family;
  const double count = family == ModelFamily::Gpt ? static_cast<double>(b.targets.numel())
                                                  : static_cast<double>(b.examples());
  EvalSums s;
  s.loss_sum = out.loss.item<double>() * count;
  s.count = count;
  if (family == ModelFamily::Encoder) s.correct = out.logits.argmax(-1).eq(b.targets).sum().item<double>();
  return s;
}

NamedTensors ReplicaExecutor::full_model_on_main() {
  return world_.is_main() ? model_.named_parameters() : NamedTensors{};
}

}  // namespace tandem
