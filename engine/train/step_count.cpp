#include "engine/train/step_count.h"

#include "engine/data/batch_order.h"
#include "engine/error.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

namespace tandem {
namespace {

std::string format_number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

}  // namespace

StepCount count_training_steps(const TrainArgs& args, std::size_t train_examples, int dp_size) {
  StepCount count;
  count.global_batch =
      static_cast<std::size_t>(args.per_device_train_batch_size) * dp_size * args.gradient_accumulation_steps;
  // BatchOrder's rule, with its checks: whole global batches per epoch.
  count.steps_per_epoch = BatchOrder(train_examples, count.global_batch, static_cast<uint64_t>(args.seed), false)
                              .steps_per_epoch();
  const double steps = args.max_steps > 0 ? args.max_steps : std::ceil(args.epochs * count.steps_per_epoch);
  // A step number is an int everywhere (checkpoint names, metrics); a cast of a larger double is undefined.
  if (!(steps <= std::numeric_limits<int>::max()))
    throw UsageError("--epochs " + format_number(args.epochs) + ": makes " + format_number(steps) +
                     " optimizer steps of " + std::to_string(count.steps_per_epoch) + " per epoch; at most " +
                     std::to_string(std::numeric_limits<int>::max()) + " are possible");
  count.total_steps = static_cast<int>(steps);
  return count;
}

}  // namespace tandem
