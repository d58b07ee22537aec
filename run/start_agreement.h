#pragma once
// What every rank of `tandem train` agrees on before its first step: the
// facts of its training plan, in the order a disagreement is reported (the
// cause before its consequences), over parallel/comm/rank_agreement.h.

#include "engine/config/train_args.h"
#include "engine/train/training_setup.h"
#include "launcher/distribution/distribution.h"
#include "parallel/comm/rank_agreement.h"

#include <string>
#include <vector>

namespace tandem::run {

// Data-parallel replicas of `distribution` on `world_size` processes; 0 when
// its partitions do not divide the world (make_parallel_plan refuses that
// later, identically on every rank).
int data_parallel_degree(const launcher::Distribution& distribution, int world_size);

// Arguments (one line per flag), the model's config.json (one line per key),
// training steps, training and evaluation examples, and the checkpoint step
// the rank would resume from (find_resume_step: kResumeNotChecked is left out
// of the comparison). Steps are counted only when dp_size > 0 and there is
// training data; count_training_steps's UsageError passes through.
std::vector<comm::AgreedFact> training_facts(const std::vector<std::string>& argv, const TrainArgs& args,
                                             const TrainingSetup& setup, int dp_size, int resume_step);

// The resume step of agreed facts (kNoCheckpoint when no rank knows one).
int agreed_resume_step(const std::vector<comm::AgreedFact>& facts);

}  // namespace tandem::run
