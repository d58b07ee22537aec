#pragma once
// Which strategy `tandem train` runs, from the first source that says:
// --distribution (the estimator's dict), --mp_parameters (SageMaker's
// command-line form), then the container's SM_FRAMEWORK_PARAMS /
// SM_HP_MP_PARAMETERS. None of them: data parallel over all processes.

#include "engine/config/train_args.h"
#include "launcher/distribution/distribution.h"
#include "launcher/env/env.h"

namespace tandem::run {

launcher::Distribution resolve_distribution(const TrainArgs& args, const launcher::Env& env);

}  // namespace tandem::run
