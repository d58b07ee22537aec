#pragma once
// The estimator's `distribution` argument, and the two forms it reaches a
// SageMaker container in: sagemaker_* hyperparameters (hyperparameters.json)
// and SM_FRAMEWORK_PARAMS + SM_HP_MP_PARAMETERS (docs/sagemaker-contract.md §1.1,
// §2.1, §3.5). All three give the same validated Distribution.

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "launcher/distribution/model_parallel.h"
#include "launcher/env/env.h"

namespace tandem::launcher {

struct Distribution {
  enum class Strategy { None, DataParallel, ModelParallel };
  Strategy strategy = Strategy::None;
  bool mpi_enabled = false;
  int processes_per_host = 0;                  // 0 = unset: the launcher picks (GPUs per host, or 1)
  int num_processes = 0;                       // sagemaker_mpi_num_processes; 0 = processes_per_host × hosts
  std::string custom_mpi_options;              // mpi.custom_mpi_options
  std::string dataparallel_custom_mpi_options; // smdistributed.dataparallel.custom_mpi_options
  std::string instance_type;                   // sagemaker_instance_type; "" when not known
  std::optional<ModelParallelParams> mp;       // set exactly when strategy is ModelParallel
};

// The dict form: {"smdistributed": {"modelparallel": {"enabled": true,
// "parameters": {...} | "params.json"}}, "mpi": {"enabled": true,
// "processes_per_host": 8, "custom_mpi_options": "..."}}. A relative
// parameters file is read from base_dir.
Distribution parse_distribution(const nlohmann::json& distribution, const std::filesystem::path& base_dir = {});

// The same from a command-line argument: JSON text, or the path of a JSON file.
Distribution parse_distribution_arg(const std::string& json_or_path);

// The sagemaker_* hyperparameters and mp_parameters the SageMaker SDK derives
// from a distribution dict (EstimatorBase._distribution_configuration), as
// decoded values; instance_type becomes sagemaker_instance_type.
nlohmann::json distribution_hyperparameters(const Distribution& distribution, const std::string& instance_type);

// Back from decoded hyperparameters (hyperparameters.json as the toolkit reads it).
Distribution distribution_from_hyperparameters(const nlohmann::json& hyperparameters);

// Inside a training container: SM_FRAMEWORK_PARAMS, SM_HP_MP_PARAMETERS, and
// SM_CURRENT_INSTANCE_TYPE when sagemaker_instance_type is absent.
Distribution distribution_from_environment(const Env& env);

}  // namespace tandem::launcher
