#include "engine/train/trainer.h"

#include "common/activity/activity_log.h"

#include "engine/checkpoint/atomic_file.h"
#include "engine/error.h"
#include "engine/metrics/decimal.h"
#include "engine/model/tokenizer_files.h"
#include "engine/model/vocab_padding.h"
#include "engine/train/optimizer.h"
#include "engine/train/resume_step.h"
#include "engine/train/rng_state.h"
#include "engine/train/step_count.h"
#include "engine/train/stop_signal.h"
#include "engine/train/sync_debug.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace tandem {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string optimizer_file(const std::string& suffix) { return "optimizer" + suffix + ".safetensors"; }
std::string model_file(const std::string& suffix) { return "model" + suffix + ".safetensors"; }
std::string rng_file(int rank) { return "rng_state_" + std::to_string(rank) + ".safetensors"; }

}  // namespace

Trainer::Trainer(const TrainArgs& args, const TrainingSetup& setup, StepExecutor& executor, World& world,
                 const RankCoordinates& me, torch::Device device)
    : args_(args),
      setup_(setup),
      executor_(executor),
      world_(world),
      me_(me),
      device_(device),
      guard_(device, args.max_nonfinite_steps),
      store_(args.output_dir, args.save_total_limit),
      log_(args.output_data_dir, world.is_main(),
           args.progress_bar == "auto" ? static_cast<bool>(isatty(2)) : parse_bool("progress_bar", args.progress_bar)) {
  const auto named = executor_.named_parameters();
  for (const auto& [name, p] : named) params_.push_back(p);
  optimizer_ = std::make_unique<AdamW>(named, adamw_settings(args));
  if (args.fp16) scaler_ = std::make_unique<LossScaler>(device);
  if (setup_.train) {
    const StepCount count = count_training_steps(args, setup_.train->size(), me.dp_size);
    order_ = std::make_unique<BatchOrder>(setup_.train->size(), count.global_batch, static_cast<uint64_t>(args.seed));
    total_steps_ = count.total_steps;
    tokens_per_step_ = static_cast<int64_t>(count.global_batch) * args.block_size;
  }
  lr_schedule_ = LrSchedule{args.lr_scheduler_type, args.learning_rate, args.warmup_steps, std::max(1, total_steps_)};
  lr_schedule_.validate();
}

std::vector<Batch> Trainer::step_batches(int step) const {
  const size_t spe = order_->steps_per_epoch();
  const uint64_t epoch = static_cast<uint64_t>(step) / spe;
  const size_t in_epoch = static_cast<size_t>(step) % spe;
  const size_t b = static_cast<size_t>(args_.per_device_train_batch_size);
  const size_t per_micro = b * me_.dp_size;
  std::vector<Batch> out;
  for (int k = 0; k < args_.gradient_accumulation_steps; ++k) {
    const size_t begin = k * per_micro + me_.dp_rank * b;
    out.push_back(setup_.train->make_batch(order_->indices(epoch, in_epoch, begin, begin + b)).to(device_));
  }
  return out;
}

double Trainer::job_sum(const torch::Tensor& local) {
  return world_.sum({local.defined() ? local.item<double>() : 0.0})[0];
}

void Trainer::inject_nonfinite_gradient(int step) {
  const char* inject = std::getenv("TANDEM_INJECT_NONFINITE_GRAD");
  if (!inject) return;
  // Fault injection for tests, "RANK:STEP[:COUNT]": one gradient entry becomes
  // inf on that rank (-1: every rank) at that (1-based) step and the COUNT - 1
  // after it, as an fp16 overflow or a diverging run would. Outside fp16 it
  // lands after the replicas' all-reduce, so a data-parallel test injects on
  // every rank, as a real NaN would reach every replica.
  int rank = -1, at = -1, count = 1;
  if (std::sscanf(inject, "%d:%d:%d", &rank, &at, &count) >= 2 && (rank == -1 || rank == world_.rank()) && step >= at &&
      step < at + count)
    for (auto& p : params_)
      if (p.grad().defined()) {
        p.grad().view({-1})[0].fill_(std::numeric_limits<float>::infinity());
        break;
      }
}

torch::Tensor Trainer::unscale_and_agree(int step) {
  inject_nonfinite_gradient(step);
  auto found_inf = scaler_->unscale(params_);
  // Ranks hold different gradients (pipeline stages): every rank skips when
  // any overflowed. This reads one flag to the host, as torch.amp.GradScaler
  // does on every step.
  if (world_.sum({found_inf.item<float>()})[0] > 0) found_inf.fill_(1.0);
  return found_inf;
}

TrainOutcome Trainer::train(std::optional<int> resume_step) {
  TrainOutcome outcome;
  if (!setup_.train) return outcome;
  const int start = resume(resume_step ? *resume_step : agreed_resume_step());
  const auto t0 = Clock::now();
  auto window_start = t0;
  const double steps_per_epoch = static_cast<double>(order_->steps_per_epoch());
  if (start > 0) log_.message("resumed from " + store_.path(start) + " at step " + std::to_string(start));
  log_.message("training " + std::to_string(total_steps_) + " steps of " + std::to_string(tokens_per_step_) +
               " tokens on " + std::to_string(world_.size()) + " process(es)");

  // Losses are summed on the device and read on logging steps only, so the
  // host queues step after step without waiting for the device. The job-wide
  // loss of a step is Σ_ranks sum / Σ_ranks weight, and weights do not change
  // between steps, so window and run sums divide by one job-wide weight.
  const auto sum_options = torch::TensorOptions().dtype(torch::kFloat64).device(device_);
  torch::Tensor window_loss = torch::zeros({}, sum_options), run_loss = torch::zeros({}, sum_options);
  double job_weight = -1, local_weight = -1, last_loss = 0;
  int window_steps = 0, window_skipped = 0;

  const std::optional<SyncDebug> sync_debug = device_.is_cuda() ? sync_debug_from_environment() : std::nullopt;
  if (!device_.is_cuda() && sync_debug_from_environment())
    log_.message("TANDEM_CUDA_SYNC_DEBUG has no effect on the CPU");
  executor_.train_mode(true);
  int step = start;
  std::vector<Batch> batches = step < total_steps_ ? step_batches(step) : std::vector<Batch>{};
  while (step < total_steps_) {
    const int next = step + 1;
    const bool reads_results = next == start + 1 || next % args_.logging_steps == 0 || next == total_steps_ ||
                               (args_.eval_steps > 0 && next % args_.eval_steps == 0) ||
                               (args_.save_steps > 0 && next % args_.save_steps == 0);
    // Steps that log, evaluate or save read results on the host; every other
    // step must not wait for the device (checked under CUDA's sync-debug mode).
    std::optional<SyncDebugScope> no_sync;
    if (!reads_results && !scaler_) no_sync.emplace(sync_debug);
    const auto step_start = Clock::now();
    const double lr = lr_schedule_.at(step);
    optimizer_->set_learning_rate(lr);
    optimizer_->zero_grad();
    if (scaler_) executor_.set_loss_scale(scaler_->scale());
    const LossSums local = executor_.forward_backward(batches);
    // The next step's batches are read and copied while the device works on this one.
    if (step + 1 < total_steps_) batches = step_batches(step + 1);
    if (job_weight < 0) {
      local_weight = local.weight;
      job_weight = world_.sum({local.weight})[0];
    } else if (local.weight != local_weight) {
      throw RuntimeFailure("internal: the loss weight of rank " + std::to_string(world_.rank()) + " changed at step " +
                           std::to_string(step + 1));
    }
    if (!scaler_) inject_nonfinite_gradient(step + 1);
    const torch::Tensor scale_before = scaler_ ? scaler_->scale().clone() : torch::Tensor();
    torch::Tensor found_inf = scaler_ ? unscale_and_agree(step + 1) : torch::Tensor();
    std::optional<activity::Scope> optimizer_span(std::in_place, activity::Kind::Optimizer);
    const torch::Tensor grad_norm = clip_grad_norm(
        params_, args_.max_grad_norm, [&](torch::Tensor sq) { return executor_.global_grad_norm_squared(sq); });
    // The norm is the job's (every rank holds the same value), so every rank
    // skips the same steps: a NaN or inf gradient never reaches the weights.
    if (!scaler_) found_inf = grad_norm.isfinite().logical_not().to(torch::kFloat32);
    optimizer_->step(found_inf);
    if (scaler_) {
      scaler_->update(found_inf);
      if (found_inf.item<float>() > 0) {
        ++skipped_steps_;
        ++window_skipped;
      }
    }
    optimizer_span.reset();
    guard_.observe(step + 1, found_inf, scale_before);
    if (local.sum.defined()) {
      window_loss += local.sum;
      run_loss += local.sum;
    }
    // One host reduction per step carries the stop request (SIGTERM), so every rank stops at the same step.
    const bool stop = world_.sum({stop_requested() ? 1.0 : 0.0})[0] > 0;
    no_sync.reset();
    activity::end_step(step_start, Clock::now());
    ++step;
    ++window_steps;

    if (reads_results) guard_.check();

    const double elapsed = seconds_since(t0);
    const double tokens_per_second = (step - start) * tokens_per_step_ / std::max(elapsed, 1e-9);
    if (step % args_.logging_steps == 0 || step == 1 || step == total_steps_) {
      const double window_seconds = seconds_since(window_start);
      last_loss = job_sum(window_loss) / job_weight / window_steps;
      MetricRecord record{{"step", step},
                          {"epoch", step / steps_per_epoch},
                          {"loss", last_loss},
                          {"learning_rate", lr},
                          {"grad_norm", grad_norm.item<double>()},
                          {"tokens_per_second", window_steps * tokens_per_step_ / std::max(window_seconds, 1e-9)}};
      if (scaler_) {
        record.push_back({"loss_scale", scaler_->scale().item<double>()});
        record.push_back({"skipped_steps", static_cast<double>(window_skipped)});
      }
      log_.record("train", step, record);
      window_loss.zero_();
      window_steps = 0;
      window_skipped = 0;
      window_start = Clock::now();
    }
    log_.progress(step, total_steps_, last_loss, tokens_per_second, elapsed / (step - start) * (total_steps_ - step));
    if (args_.eval_steps > 0 && step % args_.eval_steps == 0 && step != total_steps_ && setup_.eval) {
      evaluate(step);
      executor_.train_mode(true);
    }
    if ((args_.save_steps > 0 && step % args_.save_steps == 0) || stop)
      save_checkpoint(step, resumed_loss_sum_ + job_sum(run_loss) / job_weight, resumed_loss_steps_ + step - start,
                      resumed_runtime_ + seconds_since(t0));
    if (stop) {
      log_.message("stop requested (SIGTERM): checkpoint saved at step " + std::to_string(step) + "; exiting");
      outcome.stopped_early = true;
      break;
    }
  }
  outcome.steps_done = step;
  const double runtime = resumed_runtime_ + seconds_since(t0);
  const double run_loss_sum = resumed_loss_sum_ + (job_weight > 0 ? job_sum(run_loss) / job_weight : 0.0);
  const int run_loss_steps = resumed_loss_steps_ + step - start;
  const int64_t samples = static_cast<int64_t>(step) * tokens_per_step_ / args_.block_size;
  outcome.final_metrics = {{"epoch", step / steps_per_epoch},
                           {"train_loss", run_loss_steps ? run_loss_sum / run_loss_steps : 0.0},
                           {"train_runtime", runtime},
                           {"train_samples_per_second", samples / std::max(runtime, 1e-9)},
                           {"train_steps_per_second", step / std::max(runtime, 1e-9)},
                           {"tokens_per_second", step * tokens_per_step_ / std::max(runtime, 1e-9)}};
  if (scaler_) outcome.final_metrics.push_back({"skipped_steps", static_cast<double>(skipped_steps_)});
  else if (const int skipped = guard_.skipped(); skipped > 0)
    outcome.final_metrics.push_back({"skipped_steps", static_cast<double>(skipped)});
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
  const size_t global = b * me_.dp_size;
  EvalSums local;
  for (size_t start = 0; start < n; start += global) {
    // The last global batch may be short: each replica takes what is left of its slice.
    const size_t begin = std::min(n, start + me_.dp_rank * b), end = std::min(n, begin + b);
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
  // Every rank adds its own files to checkpoint-<step>.partial on its host
  // and lists them in its manifest; the main rank writes the state file and
  // the job manifest last, renames, verifies and prunes (the one committer).
  // On SageMaker each instance has its own checkpoint folder, merged under one
  // S3 prefix, so the first process of every other host renames its folder too
  // (where hosts share a filesystem, the main rank's rename already did). A
  // crash at any point leaves no folder that verifies.
  try {
    if (world_.is_main()) store_.begin(step);
    world_.barrier();
    const fs::path dir = store_.partial_path(step);
    std::vector<std::string> written;
    if (executor_.writes_shard()) {
      // Files keep the real vocabulary's rows (engine/model/vocab_padding.h).
      written.push_back(model_file(executor_.shard_suffix()));
      save_safetensors((dir / written.back()).string(),
                       strip_vocab_padding(executor_.named_parameters(), setup_.model));
      NamedTensors state = strip_vocab_padding(optimizer_->state(), setup_.model);
      if (scaler_)
        for (auto& entry : scaler_->state()) state.push_back(entry);
      written.push_back(optimizer_file(executor_.shard_suffix()));
      save_safetensors((dir / written.back()).string(), state);
    }
    written.push_back(rng_file(world_.rank()));
    save_safetensors((dir / written.back()).string(), capture_rng_state());
    store_.seal_rank(step, world_.rank(), written);
    world_.barrier();
    if (world_.is_main()) {
      const size_t spe = order_->steps_per_epoch();
      nlohmann::json state = {{"global_step", step},
                              {"total_steps", total_steps_},
                              {"epoch", step / static_cast<double>(spe)},
                              {"data_epoch", step / spe},
                              {"data_step_in_epoch", step % spe},
                              {"train_examples", setup_.train->size()},
                              {"global_batch", tokens_per_step_ / args_.block_size},
                              {"seed", args_.seed},
                              {"model", args_.model_name_or_path},
                              {"world_size", world_.size()},
                              {"dp_size", me_.dp_size},
                              {"shard_suffix", executor_.shard_suffix()},
                              {"train_loss_sum", train_loss_sum},
                              {"train_loss_steps", train_loss_steps},
                              {"train_runtime", runtime}};
      write_file_atomically((dir / CheckpointStore::kStateFile).string(), state.dump(2) + "\n");
      store_.commit(step, world_.size(), {CheckpointStore::kStateFile});
    }
    world_.barrier();
    if (!world_.is_main() && world_.leads_host()) store_.commit_host_part(step);
    world_.barrier();
  } catch (const RuntimeFailure& e) {
    // A full disk, a vanished folder: the previous checkpoint is untouched.
    throw RuntimeFailure("checkpoint at step " + std::to_string(step) + " not saved, the previous one is kept: " +
                         e.what());
  }
}

int Trainer::agreed_resume_step() {
  const int found = find_resume_step(store_, world_.is_main(), world_.leads_host(),
                                     [&](const std::string& warning) { log_.message("warning: " + warning); });
  // Every other rank adds 0: all resume from the folder the main rank verified.
  return static_cast<int>(world_.sum({world_.is_main() ? double(found) : 0.0})[0]);
}

void Trainer::check_resume_compatible(const std::string& dir, const nlohmann::json& state) {
  const auto refuse = [&](const std::string& field, const std::string& saved, const std::string& now,
                          const std::string& why) {
    throw RuntimeFailure(dir + ": cannot resume, " + field + " differs (checkpoint " + saved + ", this run " + now +
                         "); " + why);
  };
  if (state.at("model").get<std::string>() != args_.model_name_or_path)
    refuse("model", state.at("model").get<std::string>(), args_.model_name_or_path, "use another --output_dir");
  if (state.at("seed").get<int>() != args_.seed)
    refuse("seed", std::to_string(state.at("seed").get<int>()), std::to_string(args_.seed),
           "the data order and dropout follow the seed; pass --seed " + std::to_string(state.at("seed").get<int>()));
  const auto examples = state.at("train_examples").get<size_t>();
  if (examples != setup_.train->size())
    refuse("training examples", std::to_string(examples), std::to_string(setup_.train->size()),
           "the data position means nothing over other data");
  const int64_t global_batch = tokens_per_step_ / args_.block_size;
  if (state.at("global_batch").get<int64_t>() != global_batch)
    refuse("global batch", std::to_string(state.at("global_batch").get<int64_t>()), std::to_string(global_batch),
           "per_device_train_batch_size x data-parallel degree x gradient_accumulation_steps sets the data position "
           "of a step");
  const int saved_world = state.at("world_size").get<int>(), saved_dp = state.at("dp_size").get<int>();
  if (saved_dp <= 0 || saved_world % saved_dp != 0) throw RuntimeFailure(dir + ": trainer_state.json: dp_size is invalid");
  const int saved_stages = saved_world / saved_dp, stages = world_.size() / me_.dp_size;
  if (saved_stages != stages)
    refuse("model-parallel degree (world size / data-parallel degree)", std::to_string(saved_stages),
           std::to_string(stages), "tandem re-shards data parallelism only; resume with the same partitions");
  const int step = state.at("global_step").get<int>();
  const size_t spe = order_->steps_per_epoch();
  if (state.at("data_epoch").get<uint64_t>() != step / spe || state.at("data_step_in_epoch").get<uint64_t>() != step % spe)
    refuse("data position", "epoch " + std::to_string(state.at("data_epoch").get<uint64_t>()) + " step " +
                                std::to_string(state.at("data_step_in_epoch").get<uint64_t>()),
           "epoch " + std::to_string(step / spe) + " step " + std::to_string(step % spe), "use another --output_dir");
  if (saved_dp != me_.dp_size)
    log_.message("re-sharding: " + dir + " was written with data-parallel degree " + std::to_string(saved_dp) +
                 " (world size " + std::to_string(saved_world) + "), this run has " + std::to_string(me_.dp_size) +
                 " (world size " + std::to_string(world_.size()) + "); the global batch of " +
                 std::to_string(global_batch) + " is unchanged, so every replica loads the same state");
}

int Trainer::resume(int step_found) {
  if (step_found < 0) return 0;
  const fs::path dir = store_.path(step_found);
  nlohmann::json state;
  try {
    std::ifstream in(dir / CheckpointStore::kStateFile);
    in >> state;
    const int step = state.at("global_step").get<int>();
    if (step != step_found)
      throw RuntimeFailure(dir.string() + ": trainer_state.json says step " + std::to_string(step));
    check_resume_compatible(dir.string(), state);
    if (step > total_steps_)
      throw RuntimeFailure(dir.string() + ": checkpoint is at step " + std::to_string(step) + ", beyond this run's " +
                           std::to_string(total_steps_) + " steps");
    resumed_loss_sum_ = state.at("train_loss_sum").get<double>();
    resumed_loss_steps_ = state.at("train_loss_steps").get<int>();
    resumed_runtime_ = state.at("train_runtime").get<double>();
    const std::string suffix = executor_.shard_suffix();
    if (state.at("shard_suffix").get<std::string>() != "" && suffix == "" )
      throw RuntimeFailure(dir.string() + ": checkpoint was written by a pipeline run; resume it with the same partitions");
    const std::string model_path = (dir / model_file(suffix)).string();
    copy_into_parameters(pad_vocab_rows(load_safetensors(model_path), setup_.model, model_path),
                         executor_.named_parameters(), model_path);
    // Saved tensors are copied into this rank's own (on its device), so a
    // checkpoint written on cuda:0, cuda:k or the CPU resumes on any of them.
    const std::string optimizer_path = (dir / optimizer_file(suffix)).string();
    const auto optimizer_state = pad_vocab_rows(load_safetensors(optimizer_path), setup_.model, optimizer_path);
    optimizer_->load_state(optimizer_state, optimizer_path);
    if (scaler_) scaler_->load_state(optimizer_state, optimizer_path);
    // A rank without a saved RNG state (a re-sharded run's new ranks) starts from the seed.
    const auto rng = dir / rng_file(world_.rank());
    if (fs::exists(rng)) {
      const auto stored = load_safetensors(rng.string());
      restore_rng_state(NamedTensors(stored.begin(), stored.end()), rng.string());
    }
    return step;
  } catch (const nlohmann::json::exception& e) {
    throw RuntimeFailure((dir / CheckpointStore::kStateFile).string() +
                         ": malformed (a field is missing or has the wrong type)");
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
  save_safetensors((fs::path(args_.model_dir) / "model.safetensors").string(), strip_vocab_padding(full, setup_.model),
                   {{"format", "pt"}});
  write_file_atomically((fs::path(args_.model_dir) / "config.json").string(),
                        config_to_hf_json(setup_.model).dump(2) + "\n");
  if (!is_preset(args_.model_name_or_path)) copy_tokenizer_files(args_.model_name_or_path, args_.model_dir);
  log_.message("model saved to " + args_.model_dir);
}

}  // namespace tandem
