#include "launcher/sagemaker/container_config.h"

#include <algorithm>
#include <cctype>
#include <fstream>

#include "common/json_error.h"
#include "engine/error.h"
#include "launcher/config/json_fields.h"
#include "launcher/sagemaker/hyperparameters.h"

namespace tandem::launcher {
namespace {

nlohmann::json read_json(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) {
    throw RuntimeFailure(file.string() + ": missing (SageMaker writes it before the container starts)");
  }
  const std::string text = read_text_file(file);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
    throw RuntimeFailure(file.string() + ": not valid JSON: " + json_error_reason(e));
  }
}

// A host name reaches ssh and mpirun as an argument: SageMaker's are algo-N,
// an emulated or single container's its hostname. Letters, digits, '.', '-'
// and '_', starting with a letter or digit, so none can read as an option
// ("-oProxyCommand=...") or carry a shell character.
std::string checked_host_name(const std::string& name, const JsonPlace& place) {
  const auto allowed = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'; };
  if (name.empty() || name.size() > 253 || !std::isalnum(static_cast<unsigned char>(name[0])) ||
      !std::all_of(name.begin(), name.end(), allowed))
    place.fail(describe_json(nlohmann::json(name)) +
               " is not a host name (expected letters, digits, '.', '-' or '_', starting with a letter or digit, "
               "as algo-1)");
  return name;
}

ResourceConfig parse_resource_config(const nlohmann::json& content, const JsonPlace& place) {
  expect_object(content, place);
  ResourceConfig resource;
  if (!content.contains("current_host")) place.at("current_host").fail("missing");
  if (!content.contains("hosts")) place.at("hosts").fail("missing");
  resource.current_host = checked_host_name(read_string(content["current_host"], place.at("current_host")),
                                            place.at("current_host"));
  const auto& hosts = content["hosts"];
  if (!hosts.is_array() || hosts.empty()) place.at("hosts").fail("expected a non-empty list of host names, got " + describe_json(hosts));
  for (const auto& host : hosts)
    resource.hosts.push_back(checked_host_name(read_string(host, place.at("hosts")), place.at("hosts")));
  if (std::find(resource.hosts.begin(), resource.hosts.end(), resource.current_host) == resource.hosts.end()) {
    place.at("current_host").fail("\"" + resource.current_host + "\" is not one of hosts " + describe_json(hosts));
  }
  if (content.contains("network_interface_name")) {
    resource.network_interface_name = read_string(content["network_interface_name"], place.at("network_interface_name"));
  }
  if (content.contains("current_instance_type")) {
    resource.current_instance_type = read_string(content["current_instance_type"], place.at("current_instance_type"));
  }
  return resource;
}

void write_json(const nlohmann::json& content, const std::filesystem::path& file) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content.dump(2) << '\n';
  if (!out) throw RuntimeFailure(file.string() + ": write failed");
}

}  // namespace

nlohmann::json ResourceConfig::to_json() const {
  nlohmann::json content = {{"current_host", current_host}, {"hosts", hosts}, {"network_interface_name", network_interface_name}};
  if (!current_instance_type.empty()) content["current_instance_type"] = current_instance_type;
  return content;
}

ContainerConfig read_container_config(const std::filesystem::path& config_dir) {
  const auto resource_file = config_dir / "resourceconfig.json";
  const auto hyperparameters_file = config_dir / "hyperparameters.json";
  const auto input_data_file = config_dir / "inputdataconfig.json";
  ContainerConfig config;
  // These files come from the platform (or local mode), not from a flag, so a
  // bad value is a RuntimeFailure like a bad file.
  try {
    config.resource = parse_resource_config(read_json(resource_file), {resource_file.string(), ""});
    config.hyperparameters = decode_hyperparameters(read_json(hyperparameters_file), hyperparameters_file.string());
    config.input_data_config = read_json(input_data_file);
    const JsonPlace place{input_data_file.string(), ""};
    expect_object(config.input_data_config, place);
    for (const auto& channel : config.input_data_config.items()) expect_object(channel.value(), place.at(channel.key()));
  } catch (const UsageError& e) {
    throw RuntimeFailure(e.what());
  }
  return config;
}

void write_container_config(const ContainerConfig& config, const std::filesystem::path& config_dir) {
  std::filesystem::create_directories(config_dir);
  write_json(config.resource.to_json(), config_dir / "resourceconfig.json");
  write_json(encode_hyperparameters(config.hyperparameters), config_dir / "hyperparameters.json");
  write_json(config.input_data_config, config_dir / "inputdataconfig.json");
}

}  // namespace tandem::launcher
