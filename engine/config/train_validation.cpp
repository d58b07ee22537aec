// validate_train_args: the checks of `tandem train` that involve more than one
// flag and need no file, no model and no process. Single values were checked
// when they were parsed (each flag's range and choices in train_flags.cpp).
#include "engine/config/train_args.h"

#include "engine/error.h"

namespace tandem {

void validate_train_args(const TrainArgs& args) {
  if (args.max_steps <= 0 && args.epochs <= 0)
    throw UsageError("--epochs must be positive when --max_steps is not set");
  if (args.bf16 && args.fp16) throw UsageError("--bf16 True and --fp16 True: choose one mixed precision");
  if (args.comm_backend == "nccl" && args.device == "cpu")
    throw UsageError("--comm_backend nccl with --device cpu: NCCL moves CUDA memory; use --comm_backend mpi or auto");
}

}  // namespace tandem
