#include "launcher/sagemaker/training_environment.h"

#include <cctype>

#include "engine/error.h"
#include "launcher/sagemaker/hyperparameters.h"
#include "launcher/sagemaker/python_format.h"

namespace tandem::launcher {
namespace {

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// mapping.to_env_vars: strings unchanged, everything else compact JSON.
std::string env_value(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : python_json_compact(value);
}

}  // namespace

std::map<std::string, std::string> sagemaker_environment(const TrainingEnvironmentSpec& spec) {
  const ResourceConfig& resource = spec.config.resource;
  if (resource.hosts.empty()) throw RuntimeFailure("resourceconfig: hosts is empty; the first host is the master");
  const nlohmann::json& all_hps = spec.config.hyperparameters;
  const nlohmann::json hps = user_hyperparameters(all_hps);
  const auto path = [&](const char* relative) { return (spec.root / relative).string(); };

  nlohmann::json channel_dirs = nlohmann::json::object();
  nlohmann::json channels = nlohmann::json::array();
  for (const auto& channel : spec.config.input_data_config.items()) {
    channel_dirs[channel.key()] = (spec.root / "input" / "data" / channel.key()).string();
    channels.push_back(channel.key());  // sorted: nlohmann objects keep keys in order
  }
  nlohmann::json user_args = hyperparameters_to_argv(all_hps);
  const std::string instance_type = resource.current_instance_type.empty() ? "local" : resource.current_instance_type;
  const nlohmann::json log_level = all_hps.value("sagemaker_container_log_level", nlohmann::json(20));
  const nlohmann::json entry_point = all_hps.value("sagemaker_program", nlohmann::json());
  const bool modelparallel = hps.contains("mp_parameters") && hps["mp_parameters"] != nlohmann::json::object();

  // The Environment properties the toolkit serialises into SM_TRAINING_ENV
  // that mean something outside Python.
  const nlohmann::json training_env = {
      {"additional_framework_parameters", framework_parameters(all_hps)},
      {"channel_input_dirs", channel_dirs},
      {"current_host", resource.current_host},
      {"current_instance_type", instance_type},
      {"hosts", resource.hosts},
      {"hyperparameters", hps},
      {"input_config_dir", path("input/config")},
      {"input_data_config", spec.config.input_data_config},
      {"input_dir", path("input")},
      {"is_master", resource.current_host == resource.hosts.front()},
      {"is_modelparallel_enabled", modelparallel},
      {"job_name", all_hps.value("sagemaker_job_name", nlohmann::json())},
      {"log_level", log_level},
      {"master_hostname", resource.hosts.front()},
      {"model_dir", path("model")},
      {"network_interface_name", resource.network_interface_name},
      {"num_cpus", spec.num_cpus},
      {"num_gpus", spec.num_gpus},
      {"output_data_dir", path("output/data")},
      {"output_dir", path("output")},
      {"output_intermediate_dir", path("output/intermediate")},
      {"resource_config", resource.to_json()},
      {"user_entry_point", entry_point},
  };

  std::map<std::string, std::string> env = {
      {"SM_HOSTS", env_value(resource.hosts)},
      {"SM_CURRENT_HOST", resource.current_host},
      {"SM_NUM_GPUS", std::to_string(spec.num_gpus)},
      {"SM_NUM_CPUS", std::to_string(spec.num_cpus)},
      {"SM_NETWORK_INTERFACE_NAME", resource.network_interface_name},
      {"SM_HPS", python_json_compact(hps)},
      {"SM_CHANNELS", env_value(channels)},
      {"SM_MODEL_DIR", path("model")},
      {"SM_OUTPUT_DIR", path("output")},
      {"SM_OUTPUT_DATA_DIR", path("output/data")},
      {"SM_OUTPUT_INTERMEDIATE_DIR", path("output/intermediate")},
      {"SM_INPUT_DIR", path("input")},
      {"SM_INPUT_CONFIG_DIR", path("input/config")},
      {"SM_RESOURCE_CONFIG", env_value(resource.to_json())},
      {"SM_INPUT_DATA_CONFIG", env_value(spec.config.input_data_config)},
      {"SM_USER_ARGS", env_value(user_args)},
      {"SM_FRAMEWORK_PARAMS", env_value(framework_parameters(all_hps))},
      {"SM_CURRENT_INSTANCE_TYPE", instance_type},
      {"SM_LOG_LEVEL", env_value(log_level)},
      {"SM_TRAINING_ENV", env_value(training_env)},
  };
  if (!entry_point.is_null()) env["SM_USER_ENTRY_POINT"] = env_value(entry_point);
  for (const auto& channel : channel_dirs.items()) env["SM_CHANNEL_" + upper(channel.key())] = channel.value();
  for (const auto& hp : hps.items()) env["SM_HP_" + upper(hp.key())] = env_value(hp.value());
  return env;
}

}  // namespace tandem::launcher
