#include "run/start_agreement.h"

#include "engine/model/model_config.h"
#include "engine/train/resume_step.h"
#include "engine/train/step_count.h"

#include <nlohmann/json.hpp>

namespace tandem::run {
namespace {

constexpr const char* kResumeFact = "resume step";

// "--flag value" per line, so a disagreement names the flag.
std::vector<std::string> argument_lines(const std::vector<std::string>& argv) {
  std::vector<std::string> lines;
  for (const auto& token : argv) {
    if (lines.empty() || token.rfind("--", 0) == 0) lines.push_back(token);
    else lines.back() += " " + token;
  }
  return lines;
}

std::vector<std::string> config_lines(const ModelConfig& model) {
  std::vector<std::string> lines;
  const nlohmann::json config = config_to_hf_json(model);
  for (const auto& [key, value] : config.items()) lines.push_back(key + ": " + value.dump());
  return lines;
}

}  // namespace

int data_parallel_degree(const launcher::Distribution& distribution, int world_size) {
  if (distribution.strategy != launcher::Distribution::Strategy::ModelParallel) return world_size;
  const int pp_size = distribution.mp->pp_size;
  return pp_size > 0 && world_size % pp_size == 0 ? world_size / pp_size : 0;
}

std::vector<comm::AgreedFact> training_facts(const std::vector<std::string>& argv, const TrainArgs& args,
                                             const TrainingSetup& setup, int dp_size, int resume_step) {
  using comm::AgreedFact;
  const int64_t unknown = AgreedFact::kNotKnown;
  int64_t steps = unknown;
  if (setup.train && dp_size > 0) steps = count_training_steps(args, setup.train->size(), dp_size).total_steps;
  return {
      AgreedFact::text("arguments", argument_lines(argv), "every rank must be started with the same arguments"),
      AgreedFact::text("the model (config.json)", config_lines(setup.model),
                       "every rank must read the same model directory"),
      AgreedFact::number("training steps", steps, "each rank must read the same dataset"),
      AgreedFact::number("training examples", setup.train ? int64_t(setup.train->size()) : -1,
                         "each rank must read the same dataset"),
      AgreedFact::number("evaluation examples", setup.eval ? int64_t(setup.eval->size()) : -1,
                         "each rank must read the same test dataset"),
      AgreedFact::number(kResumeFact, resume_step == kResumeNotChecked ? unknown : resume_step,
                         "every host must see the same checkpoints in --output_dir; -1: none"),
  };
}

int agreed_resume_step(const std::vector<comm::AgreedFact>& facts) {
  for (const auto& fact : facts)
    if (fact.name == kResumeFact && fact.count != comm::AgreedFact::kNotKnown) return static_cast<int>(fact.count);
  return kNoCheckpoint;
}

}  // namespace tandem::run
