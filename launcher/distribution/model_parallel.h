#pragma once
// smdistributed.modelparallel (SMP v1) parameters, validated once whatever
// their source: the estimator's distribution dict, `--mp_parameters k=v,...`
// on the command line, or SM_HP_MP_PARAMETERS. Keys, types and defaults follow
// docs/sagemaker-contract.md §1.2; tandem adds virtual_stages and zero_bubble.
// Keys SMP accepts but tandem does not implement are accepted at their
// default value only and otherwise rejected as "not supported yet".

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "launcher/config/json_fields.h"

namespace tandem::launcher {

struct ModelParallelParams {
  int pp_size = 1;                             // pipeline degree: SMP's key partitions, alias pipeline_parallel_degree (required)
  int microbatches = 1;
  std::string pipeline = "interleaved";        // "interleaved" (backward first) or "simple" (all forward, then backward)
  std::string placement_strategy = "cluster";  // as given: "cluster", "spread" or letters such as "DPT" (see parallel/topology/placement.h)
  std::string optimize = "memory";             // "memory" or "speed"
  double memory_weight = 0.8;                  // 0.8 for optimize=memory, 0.2 for speed, unless given
  bool ddp = false;
  std::optional<int> ddp_port;
  std::string ddp_dist_backend = "auto";       // "auto" or "nccl"
  int active_microbatches = 3;                 // partitions + 2 unless given
  bool auto_partition = true;
  int default_partition = 0;
  bool contiguous = true;
  bool horovod = false;
  bool deterministic_server = false;
  int virtual_stages = 1;                      // tandem: model chunks per pipeline rank
  std::string schedule_variant;                // tandem: "", "zb_h1" or, with virtual_stages 2, "zb_v" (key zero_bubble)
  int tensor_parallel_degree = 1;              // only 1 is supported yet
  // One line per given parameter that is accepted but changes nothing in
  // tandem, saying why; `tandem train` and `tandem plan` print them.
  std::vector<std::string> notes;
  // The parameters exactly as given, which the SDK forwards as the
  // mp_parameters hyperparameter (SM_HP_MP_PARAMETERS, --mp_parameters).
  nlohmann::json given = nlohmann::json::object();
};

// A parameters object (the dict under smdistributed.modelparallel.parameters,
// or SM_HP_MP_PARAMETERS decoded). Errors name place.source and the key.
ModelParallelParams parse_model_parallel(const nlohmann::json& parameters, const JsonPlace& place);

// The command-line form the toolkit writes: `ddp=True,microbatches=4,partitions=2`
// (values as Python's str() renders them). Each value is read as its key's
// type, so pipeline=1 stays a string and microbatches=four is an error.
nlohmann::json mp_parameters_arg_to_json(const std::string& text);
ModelParallelParams parse_mp_parameters_arg(const std::string& text);

// SMP needs the world to split into whole pipelines: partitions must divide
// world_size. `world` describes it for the message, e.g.
// "16 processes (instance_count 2 × processes_per_host 8)".
void check_partitions_divide(const ModelParallelParams& mp, int world_size, const std::string& world);

}  // namespace tandem::launcher
