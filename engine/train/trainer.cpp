#include "engine/train/trainer.h"

#include "engine/checkpoint/atomic_file.h"
#include "engine/compat/torch_compat.h"
#include "engine/error.h"
#include "engine/metrics/decimal.h"
#include "engine/train/optimizer.h"
#include "engine/train/stop_signal.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace tandem {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string optimizer_file(const std::string& suffix) { return "optimizer" + suffix + ".pt"; }
std::string model_file(const std::string& suffix) { return "model" + suffix + ".safetensors"; }
std::string rng_file(int rank) { return "rng_state_" + std::to_string(rank) + ".safetensors"; }

}  // namespace

Trainer::Trainer(const TrainArgs& args, const TrainingSetup& setup, StepExecutor& executor, World& world,
                 ReplicaSlot slot, torch::Device device)
    : args_(args),
      setup_(setup),
      executor_(executor),
      world_(world),
      slot_(slot),
      device_(device),
      store_(args.output_dir, args.save_total_limit),
      log_(args.output_data_dir, world.is_main(),
           args.progress_bar == "auto" ? static_cast<bool>(isatty(2)) : parse_bool("progress_bar", args.progress_bar)) {
  const auto named = executor_.named_parameters();
  for (const auto& [name, p] : named) params_.push_back(p);
  optimizer_ = make_adamw(named, {args.learning_rate, args.adam_beta1, args.adam_beta2, args.adam_epsilon,
                                  args.weight_decay});
  if (setup_.train) {
    const size_t global_batch = static_cast<size_t>(args.per_device_train_batch_size) * slot.dp_size *
                                args.gradient_accumulation_steps;
    order_ = std::make_unique<BatchOrder>(setup_.train->size(), global_batch, static_cast<uint64_t>(args.seed));
    const double steps = args.max_steps > 0 ? args.max_steps : std::ceil(args.epochs * order_->steps_per_epoch());
    total_steps_ = static_cast<int>(steps);
    tokens_per_step_ = static_cast<int64_t>(global_batch) * args.block_size;
  }
  schedule_ = LrSchedule{args.lr_scheduler_type, args.learning_rate, args.warmup_steps, std::max(1, total_steps_)};
  schedule_.validate();
}

std::vector<Batch> Trainer::step_batches(int step) const {
  const size_t spe = order_->steps_per_epoch();
  const uint64_t epoch = static_cast<uint64_t>(step) / spe;
  const size_t in_epoch = static_cast<size_t>(step) % spe;
  const size_t b = static_cast<size_t>(args_.per_device_train_batch_size);
  const size_t per_micro = b * slot_.dp_size;
  std::vector<Batch> out;
  for (int k = 0; k < args_.gradient_accumulation_steps; ++k) {
    const size_t begin = k * per_micro + slot_.dp_rank * b;
    out.push_back(setup_.train->make_batch(order_->indices(epoch, in_epoch, begin, begin + b)).to(device_));
  }
  return out;
}

TrainOutcome Trainer::train() {
  TrainOutcome outcome;
  if (!setup_.train) return outcome;
  const int start = resume();
  const auto t0 = Clock::now();
  auto window_start = t0;
  double window_loss = 0, run_loss_sum = resumed_loss_sum_;
  int window_steps = 0, run_loss_steps = resumed_loss_steps_;
  const double steps_per_epoch = static_cast<double>(order_->steps_per_epoch());
  if (start > 0) log_.message("resumed from " + *store_.latest() + " at step " + std::to_string(start));
  log_.message("training " + std::to_string(total_steps_) + " steps of " + std::to_string(tokens_per_step_) +
               " tokens on " + std::to_string(world_.size()) + " process(es)");

  executor_.train_mode(true);
  int step = start;
  while (step < total_steps_) {
    const double lr = schedule_.at(step);
    set_learning_rate(*optimizer_, lr);
    optimizer_->zero_grad();
    const LossSums local = executor_.forward_backward(step_batches(step));
    const double grad_norm = clip_grad_norm(params_, args_.max_grad_norm,
                                            [&](double sq) { return executor_.global_grad_norm_squared(sq); });
    optimizer_->step();
    // One reduction per step carries the loss and the stop request, so every rank stops at the same step.
    const auto reduced = world_.sum({local.sum, local.weight, stop_requested() ? 1.0 : 0.0});
    const double loss = reduced[0] / reduced[1];
    ++step;
    window_loss += loss;
    ++window_steps;
    run_loss_sum += loss;
    ++run_loss_steps;

    const double elapsed = seconds_since(t0);
    const double tokens_per_second = (step - start) * tokens_per_step_ / std::max(elapsed, 1e-9);
    log_.progress(step, total_steps_, loss, tokens_per_second, elapsed / (step - start) * (total_steps_ - step));
    if (step % args_.logging_steps == 0 || step == 1 || step == total_steps_) {
      const double window_seconds = seconds_since(window_start);
      log_.record("train", step,
                  {{"step", step},
                   {"epoch", step / steps_per_epoch},
                   {"loss", window_loss / window_steps},
                   {"learning_rate", lr},
                   {"grad_norm", grad_norm},
                   {"tokens_per_second", window_steps * tokens_per_step_ / std::max(window_seconds, 1e-9)}});
      window_loss = 0;
      window_steps = 0;
      window_start = Clock::now();
    }
    if (args_.eval_steps > 0 && step % args_.eval_steps == 0 && step != total_steps_ && setup_.eval) {
      evaluate(step);
      executor_.train_mode(true);
    }
    const bool stop = reduced[2] > 0;
    if ((args_.save_steps > 0 && step % args_.save_steps == 0) || stop)
      save_checkpoint(step, run_loss_sum, run_loss_steps, resumed_runtime_ + seconds_since(t0));
    if (stop) {
      log_.message("stop requested (SIGTERM): checkpoint saved at step " + std::to_string(step) + "; exiting");
      outcome.stopped_early = true;
      break;
    }
  }
  outcome.steps_done = step;
  const double runtime = resumed_runtime_ + seconds_since(t0);
  const int64_t samples = static_cast<int64_t>(step) * tokens_per_step_ / args_.block_size;
  outcome.final_metrics = {{"epoch", step / steps_per_epoch},
                           {"train_loss", run_loss_steps ? run_loss_sum / run_loss_steps : 0.0},
                           {"train_runtime", runtime},
                           {"train_samples_per_second", samples / std::max(runtime, 1e-9)},
                           {"train_steps_per_second", step / std::max(runtime, 1e-9)},
                           {"tokens_per_second", step * tokens_per_step_ / std::max(runtime, 1e-9)}};
  if (!outcome.stopped_early) log_.record("train", step, outcome.final_metrics);
  return outcome;
}

MetricRecord Trainer::evaluate(int step) {
  MetricRecord metrics;
  if (!setup_.eval) return metrics;
  executor_.train_mode(false);
  const auto t0 = Clock::now();
  const size_t n = setup_.eval->size();
  const size_t b = static_cast<size_t>(args_.per_device_eval_batch_size);
  const size_t global = b * slot_.dp_size;
  EvalSums local;
  for (size_t start = 0; start < n; start += global) {
    // The last global batch may be short: each replica takes what is left of its slice.
    const size_t begin = std::min(n, start + slot_.dp_rank * b), end = std::min(n, begin + b);
    if (begin >= end) continue;
    std::vector<size_t> idx(end - begin);
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = begin + i;
    const EvalSums s = executor_.evaluate(setup_.eval->make_batch(idx).to(device_));
    local.loss_sum += s.loss_sum;
    local.correct += s.correct;
    local.count += s.count;
  }
  const auto sums = world_.sum({local.loss_sum, local.correct, local.count});
  const double eval_loss = sums[0] / std::max(sums[2], 1.0);
  metrics.push_back({"eval_loss", eval_loss});
  if (setup_.task == Task::LanguageModeling) metrics.push_back({"perplexity", std::exp(eval_loss)});
  else metrics.push_back({"eval_accuracy", sums[1] / std::max(sums[2], 1.0)});
  const double seconds = seconds_since(t0);
  metrics.push_back({"eval_runtime", seconds});
  metrics.push_back({"eval_samples_per_second", n / std::max(seconds, 1e-9)});
  log_.record("eval", step, metrics);
  return metrics;
}

void Trainer::save_checkpoint(int step, double train_loss_sum, int train_loss_steps, double runtime) {
  // Every rank adds its files to checkpoint-<step>.partial on its own host;
  // the main rank writes the state file last and renames its folder. On
  // SageMaker each instance has its own checkpoint folder, merged under one S3
  // prefix, so the first process of every other host renames its folder too
  // (where hosts share a filesystem, the main rank's rename already did). A
  // crash at any point leaves no folder that looks complete.
  if (world_.is_main()) store_.begin(step);
  world_.barrier();
  const fs::path dir = store_.partial_path(step);
  if (executor_.writes_shard()) {
    save_safetensors((dir / model_file(executor_.shard_suffix())).string(), executor_.named_parameters());
    torch::serialize::OutputArchive archive;
    optimizer_->save(archive);
    archive.save_to((dir / optimizer_file(executor_.shard_suffix())).string());
  }
  save_safetensors((dir / rng_file(world_.rank())).string(), {{"cpu", compat::cpu_rng_state()}});
  world_.barrier();
  if (world_.is_main()) {
    nlohmann::json state = {{"global_step", step},
                            {"total_steps", total_steps_},
                            {"epoch", step / static_cast<double>(order_->steps_per_epoch())},
                            {"data_epoch", step / order_->steps_per_epoch()},
                            {"data_step_in_epoch", step % order_->steps_per_epoch()},
                            {"seed", args_.seed},
                            {"model", args_.model_name_or_path},
                            {"world_size", world_.size()},
                            {"dp_size", slot_.dp_size},
                            {"shard_suffix", executor_.shard_suffix()},
                            {"train_loss_sum", train_loss_sum},
                            {"train_loss_steps", train_loss_steps},
                            {"train_runtime", runtime}};
    write_file_atomically((dir / CheckpointStore::kStateFile).string(), state.dump(2) + "\n");
    store_.commit(step);
  }
  world_.barrier();
  if (!world_.is_main() && world_.leads_host()) store_.commit(step);
  world_.barrier();
}

int Trainer::resume() {
  if (world_.leads_host()) store_.remove_partials();
  world_.barrier();
  const auto latest = store_.latest();
  if (!latest) return 0;
  const fs::path dir = *latest;
  nlohmann::json state;
  try {
    std::ifstream in(dir / CheckpointStore::kStateFile);
    in >> state;
    const int step = state.at("global_step").get<int>();
    if (state.at("model").get<std::string>() != args_.model_name_or_path)
      throw RuntimeFailure(dir.string() + ": checkpoint is of model " + state.at("model").get<std::string>() +
                           ", this run trains " + args_.model_name_or_path + " (use another --output_dir)");
    if (step > total_steps_)
      throw RuntimeFailure(dir.string() + ": checkpoint is at step " + std::to_string(step) + ", beyond this run's " +
                           std::to_string(total_steps_) + " steps");
    resumed_loss_sum_ = state.at("train_loss_sum").get<double>();
    resumed_loss_steps_ = state.at("train_loss_steps").get<int>();
    resumed_runtime_ = state.at("train_runtime").get<double>();
    const std::string suffix = executor_.shard_suffix();
    if (state.at("shard_suffix").get<std::string>() != "" && suffix == "" )
      throw RuntimeFailure(dir.string() + ": checkpoint was written by a pipeline run; resume it with the same partitions");
    copy_into_parameters(load_safetensors((dir / model_file(suffix)).string()), executor_.named_parameters(),
                         (dir / model_file(suffix)).string());
    torch::serialize::InputArchive archive;
    archive.load_from((dir / optimizer_file(suffix)).string());
    optimizer_->load(archive);
    const auto rng = dir / rng_file(world_.rank());
    if (fs::exists(rng)) compat::set_cpu_rng_state(load_safetensors(rng.string()).at("cpu"));
    return step;
  } catch (const nlohmann::json::exception& e) {
    throw RuntimeFailure((dir / CheckpointStore::kStateFile).string() + ": malformed (" + e.what() + ")");
  } catch (const c10::Error& e) {
    throw RuntimeFailure(dir.string() + ": optimizer state does not load (" + e.what_without_backtrace() + ")");
  }
}

void Trainer::save_model() {
  const NamedTensors full = executor_.full_model_on_main();
  if (!world_.is_main()) return;
  std::error_code ec;
  fs::create_directories(args_.model_dir, ec);
  if (ec) throw RuntimeFailure(args_.model_dir + ": cannot create the model directory (" + ec.message() + ")");
  save_safetensors((fs::path(args_.model_dir) / "model.safetensors").string(), full, {{"format", "pt"}});
  write_file_atomically((fs::path(args_.model_dir) / "config.json").string(),
                        config_to_hf_json(setup_.model).dump(2) + "\n");
  log_.message("model saved to " + args_.model_dir);
}

}  // namespace tandem
