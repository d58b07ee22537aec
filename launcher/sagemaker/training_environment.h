#pragma once
// The SM_* variables the SageMaker training toolkit gives the program on each
// host (docs/sagemaker-contract.md §3.4): strings as they are, everything else
// compact JSON with sorted keys. Paths hang off `root`, which is /opt/ml in a
// container and a per-host job folder in local mode.

#include <filesystem>
#include <map>
#include <string>

#include "launcher/sagemaker/container_config.h"

namespace tandem::launcher {

struct TrainingEnvironmentSpec {
  std::filesystem::path root = "/opt/ml";
  ContainerConfig config;  // this host's resourceconfig, hyperparameters, inputdataconfig
  int num_gpus = 0;
  int num_cpus = 1;
};

// SM_HOSTS, SM_CURRENT_HOST, SM_NUM_GPUS, SM_NUM_CPUS, SM_NETWORK_INTERFACE_NAME,
// SM_HPS, SM_HP_<NAME>, SM_CHANNELS, SM_CHANNEL_<NAME>, SM_MODEL_DIR,
// SM_OUTPUT_DIR, SM_OUTPUT_DATA_DIR, SM_OUTPUT_INTERMEDIATE_DIR, SM_INPUT_DIR,
// SM_INPUT_CONFIG_DIR, SM_RESOURCE_CONFIG, SM_INPUT_DATA_CONFIG, SM_USER_ARGS,
// SM_FRAMEWORK_PARAMS, SM_CURRENT_INSTANCE_TYPE, SM_LOG_LEVEL,
// SM_USER_ENTRY_POINT (when sagemaker_program is set) and SM_TRAINING_ENV.
std::map<std::string, std::string> sagemaker_environment(const TrainingEnvironmentSpec& spec);

}  // namespace tandem::launcher
