#pragma once
// The training loop: for each optimizer step, this rank's batches -> the
// executor's forward/backward -> clip -> AdamW with the scheduled rate ->
// metrics -> checkpoint. Resumes from the newest complete checkpoint.

#include "common/rank_coordinates.h"
#include "engine/checkpoint/checkpoint_store.h"
#include "engine/config/train_args.h"
#include "engine/data/batch_order.h"
#include "engine/metrics/metrics_log.h"
#include "engine/train/lr_schedule.h"
#include "engine/train/nonfinite_guard.h"
#include "engine/train/optimizer.h"
#include "engine/train/precision.h"
#include "engine/train/step_executor.h"
#include "engine/train/training_setup.h"
#include "engine/train/world.h"

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <torch/torch.h>

namespace tandem {

struct TrainOutcome {
  int steps_done = 0;
  bool stopped_early = false;  // SIGTERM: checkpoint written, run not finished
  MetricRecord final_metrics;
};

class Trainer {
 public:
  Trainer(const TrainArgs& args, const TrainingSetup& setup, StepExecutor& executor, World& world, const RankCoordinates& me,
          torch::Device device);

  // `resume_step`: the checkpoint step every rank agreed on (run/start_agreement.h),
  // kNoCheckpoint for none; without it the ranks find it here, collectively.
  TrainOutcome train(std::optional<int> resume_step = std::nullopt);
  MetricRecord evaluate(int step);
  // The final model: config.json and model.safetensors in model_dir (main rank).
  void save_model();

 private:
  std::vector<Batch> step_batches(int step) const;
  // Σ over ranks of a device-side sum this rank holds (a host read: logging steps and checkpoints only).
  double job_sum(const torch::Tensor& local);
  // float16: unscales the gradients and agrees across ranks whether any overflowed.
  torch::Tensor unscale_and_agree(int step);
  void inject_nonfinite_gradient(int step);
  void save_checkpoint(int step, double train_loss_sum, int train_loss_steps, double runtime);
  // Loads checkpoint `step_found` (none when negative); returns the step training starts at.
  int resume(int step_found);
  // Main rank: the newest verified checkpoint's step, or -1; every rank gets main's answer.
  int agreed_resume_step();
  // Compares the checkpoint's recorded run with this one: refuses what cannot carry over.
  void check_resume_compatible(const std::string& dir, const nlohmann::json& state);

  const TrainArgs& args_;
  const TrainingSetup& setup_;
  StepExecutor& executor_;
  World& world_;
  RankCoordinates me_;  // reads slice dp_rank of every global batch
  torch::Device device_;
  std::unique_ptr<AdamW> optimizer_;
  std::unique_ptr<LossScaler> scaler_;  // --fp16 only
  int skipped_steps_ = 0;              // float16 overflows
  NonfiniteGuard guard_;
  std::vector<torch::Tensor> params_;
  std::unique_ptr<BatchOrder> order_;
  LrSchedule lr_schedule_;
  CheckpointStore store_;
  MetricsLog log_;
  int total_steps_ = 0;
  int64_t tokens_per_step_ = 0;
  // Restored from a checkpoint so a resumed run reports what the uninterrupted one would.
  double resumed_loss_sum_ = 0;
  int resumed_loss_steps_ = 0;
  double resumed_runtime_ = 0;
};

}  // namespace tandem
