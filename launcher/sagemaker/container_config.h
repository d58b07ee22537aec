#pragma once
// The three files SageMaker puts in /opt/ml/input/config (docs/sagemaker-contract.md
// §3.2): resourceconfig.json, hyperparameters.json, inputdataconfig.json.
// Read inside a training container; written by local mode for each host.

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tandem::launcher {

struct ResourceConfig {
  std::string current_host;                      // "algo-2"
  std::vector<std::string> hosts;                // as the file lists them; the first is the master
  std::string network_interface_name = "eth0";   // the toolkit's default when the file has none
  std::string current_instance_type;             // "" when the file does not say

  nlohmann::json to_json() const;
};

struct ContainerConfig {
  ResourceConfig resource;
  nlohmann::json hyperparameters = nlohmann::json::object();    // decoded values (see hyperparameters.h)
  nlohmann::json input_data_config = nlohmann::json::object();  // channel -> {"TrainingInputMode": "File", ...}
};

// Reads <config_dir>/{resourceconfig,hyperparameters,inputdataconfig}.json.
// A missing, unreadable or malformed file is a RuntimeFailure naming it.
ContainerConfig read_container_config(const std::filesystem::path& config_dir);

// Writes the three files into config_dir (created), hyperparameters encoded
// the way the SDK sends them (each value a JSON string).
void write_container_config(const ContainerConfig& config, const std::filesystem::path& config_dir);

}  // namespace tandem::launcher
