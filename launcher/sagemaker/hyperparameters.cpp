#include "launcher/sagemaker/hyperparameters.h"

#include <set>

#include "engine/error.h"
#include "launcher/sagemaker/python_format.h"

namespace tandem::launcher {
namespace {

bool is_sagemaker_key(const std::string& name) { return name.rfind("sagemaker_", 0) == 0; }

}  // namespace

bool is_reserved_hyperparameter(const std::string& name) {
  static const std::set<std::string> reserved = {
      "sagemaker_program",         "sagemaker_submit_directory", "sagemaker_enable_cloudwatch_metrics",
      "sagemaker_region",          "sagemaker_container_log_level", "sagemaker_job_name",
      "default_user_module_name",  "_tuning_objective_metric",   "sagemaker_s3_output"};
  return reserved.count(name) != 0;
}

nlohmann::json user_hyperparameters(const nlohmann::json& hyperparameters) {
  nlohmann::json user = nlohmann::json::object();
  for (const auto& item : hyperparameters.items()) {
    if (!is_sagemaker_key(item.key()) && !is_reserved_hyperparameter(item.key())) user[item.key()] = item.value();
  }
  return user;
}

nlohmann::json framework_parameters(const nlohmann::json& hyperparameters) {
  nlohmann::json framework = nlohmann::json::object();
  for (const auto& item : hyperparameters.items()) {
    if (is_sagemaker_key(item.key()) && !is_reserved_hyperparameter(item.key())) framework[item.key()] = item.value();
  }
  return framework;
}

std::vector<std::string> hyperparameters_to_argv(const nlohmann::json& hyperparameters) {
  std::vector<std::string> argv;
  const nlohmann::json user = user_hyperparameters(hyperparameters);
  for (const auto& item : user.items()) {
    const std::string& name = item.key();
    argv.push_back((name.size() > 1 ? "--" : "-") + name);
    const nlohmann::json& value = item.value();
    if (value.is_object()) {
      std::string pairs;
      for (const auto& pair : value.items()) pairs += (pairs.empty() ? "" : ",") + pair.key() + "=" + python_str(pair.value());
      argv.push_back(pairs);
    } else {
      argv.push_back(value.is_null() ? "" : python_str(value));
    }
  }
  return argv;
}

nlohmann::json decode_hyperparameters(const nlohmann::json& file_content, const std::string& source) {
  if (!file_content.is_object()) {
    throw RuntimeFailure(source + ": expected a JSON object of hyperparameter name -> value");
  }
  nlohmann::json decoded = nlohmann::json::object();
  for (const auto& item : file_content.items()) {
    const nlohmann::json& value = item.value();
    if (value.is_string()) {
      decoded[item.key()] = nlohmann::json::parse(value.get<std::string>(), nullptr, /*allow_exceptions=*/false);
      if (decoded[item.key()].is_discarded()) decoded[item.key()] = value;
    } else {
      decoded[item.key()] = value;  // the toolkit keeps values json.loads cannot take
    }
  }
  return decoded;
}

nlohmann::json encode_hyperparameters(const nlohmann::json& hyperparameters) {
  nlohmann::json encoded = nlohmann::json::object();
  for (const auto& item : hyperparameters.items()) encoded[item.key()] = python_json_dumps(item.value());
  return encoded;
}

}  // namespace tandem::launcher
