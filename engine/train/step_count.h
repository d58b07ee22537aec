#pragma once
// How many optimizer steps a run takes: --max_steps, or --epochs over the
// dataset at the job's global batch. The trainer follows it and the ranks
// agree on it before the first step (run/start_agreement.h).

#include "engine/config/train_args.h"

#include <cstddef>
#include <cstdint>

namespace tandem {

struct StepCount {
  std::size_t global_batch = 0;     // examples per optimizer step, over every data-parallel replica
  std::size_t steps_per_epoch = 0;
  int total_steps = 0;
};

// UsageError when the global batch does not fit the dataset, or when --epochs
// makes more steps than an int holds.
StepCount count_training_steps(const TrainArgs& args, std::size_t train_examples, int dp_size);

}  // namespace tandem
