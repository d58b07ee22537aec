#include "launcher/distribution/distribution.h"

#include "engine/error.h"

namespace tandem::launcher {
namespace {

bool read_enabled(const nlohmann::json& strategy, const JsonPlace& place) {
  return strategy.contains("enabled") && read_bool(strategy["enabled"], place.at("enabled"));
}

ModelParallelParams read_model_parallel_parameters(const nlohmann::json& modelparallel, const JsonPlace& place,
                                                   const std::filesystem::path& base_dir) {
  if (!modelparallel.contains("parameters")) {
    place.at("parameters").fail("required when modelparallel is enabled (at least partitions)");
  }
  const nlohmann::json& parameters = modelparallel["parameters"];
  if (!parameters.is_string()) return parse_model_parallel(parameters, place.at("parameters"));
  // The SDK also takes the path of a JSON file holding the parameters.
  std::filesystem::path file = parameters.get<std::string>();
  if (file.is_relative() && !base_dir.empty()) file = base_dir / file;
  const std::string source = place.source + " (" + place.at("parameters").path + " file " + file.string() + ")";
  return parse_model_parallel(parse_json_text(read_text_file(file), source), {source, ""});
}

// The sagemaker_* keys as the toolkit reads them (§3.5), plus mp_parameters,
// which the SDK passes as a user hyperparameter.
Distribution from_framework_parameters(const nlohmann::json& params, const JsonPlace& place,
                                       const nlohmann::json& mp_parameters, const JsonPlace& mp_place) {
  expect_object(params, place);
  Distribution d;
  const auto get = [&](const char* key) -> const nlohmann::json* {
    return params.contains(key) ? &params[key] : nullptr;
  };
  if (const auto* v = get("sagemaker_mpi_enabled")) d.mpi_enabled = read_bool(*v, place.at("sagemaker_mpi_enabled"));
  if (const auto* v = get("sagemaker_mpi_num_of_processes_per_host")) {
    d.processes_per_host = read_int(*v, place.at("sagemaker_mpi_num_of_processes_per_host"), 1);
  }
  if (const auto* v = get("sagemaker_mpi_num_processes")) {
    d.num_processes = read_int(*v, place.at("sagemaker_mpi_num_processes"), 1);
  }
  if (const auto* v = get("sagemaker_mpi_custom_mpi_options")) {
    d.custom_mpi_options = read_string(*v, place.at("sagemaker_mpi_custom_mpi_options"));
  }
  if (const auto* v = get("sagemaker_distributed_dataparallel_custom_mpi_options")) {
    d.dataparallel_custom_mpi_options =
        read_string(*v, place.at("sagemaker_distributed_dataparallel_custom_mpi_options"));
  }
  if (const auto* v = get("sagemaker_instance_type")) d.instance_type = read_string(*v, place.at("sagemaker_instance_type"));
  const auto* dp = get("sagemaker_distributed_dataparallel_enabled");
  const bool dataparallel = dp != nullptr && read_bool(*dp, place.at("sagemaker_distributed_dataparallel_enabled"));

  // The toolkit's test for model parallelism: mp_parameters present and not {}.
  const bool modelparallel = !mp_parameters.is_null() && mp_parameters != nlohmann::json::object();
  if (dataparallel && modelparallel) {
    place.at("sagemaker_distributed_dataparallel_enabled")
        .fail("Cannot use more than 1 smdistributed strategy (mp_parameters is also set)");
  }
  if (dataparallel) d.strategy = Distribution::Strategy::DataParallel;
  if (modelparallel) {
    if (!d.mpi_enabled) mp_place.fail("Cannot use Model Parallelism without MPI enabled (sagemaker_mpi_enabled is not true)");
    d.mp = parse_model_parallel(mp_parameters, mp_place);
    d.strategy = Distribution::Strategy::ModelParallel;
  }
  return d;
}

}  // namespace

Distribution parse_distribution(const nlohmann::json& distribution, const std::filesystem::path& base_dir) {
  const JsonPlace root{"distribution", ""};
  expect_object(distribution, root);
  reject_unknown_keys(distribution, {"smdistributed", "mpi"}, root);
  Distribution d;

  if (distribution.contains("mpi")) {
    const auto& mpi = distribution["mpi"];
    const JsonPlace place = root.at("mpi");
    expect_object(mpi, place);
    reject_unknown_keys(mpi, {"enabled", "processes_per_host", "custom_mpi_options"}, place);
    d.mpi_enabled = read_enabled(mpi, place);
    if (mpi.contains("processes_per_host")) {
      d.processes_per_host = read_int(mpi["processes_per_host"], place.at("processes_per_host"), 1);
    }
    if (mpi.contains("custom_mpi_options")) {
      d.custom_mpi_options = read_string(mpi["custom_mpi_options"], place.at("custom_mpi_options"));
    }
  }

  if (!distribution.contains("smdistributed")) return d;
  const auto& smdistributed = distribution["smdistributed"];
  const JsonPlace place = root.at("smdistributed");
  expect_object(smdistributed, place);
  reject_unknown_keys(smdistributed, {"modelparallel", "dataparallel"}, place);
  if (smdistributed.size() > 1) {
    place.fail("Cannot use more than 1 smdistributed strategy (got both modelparallel and dataparallel)");
  }

  if (smdistributed.contains("dataparallel")) {
    const auto& dataparallel = smdistributed["dataparallel"];
    const JsonPlace dp_place = place.at("dataparallel");
    expect_object(dataparallel, dp_place);
    reject_unknown_keys(dataparallel, {"enabled", "custom_mpi_options"}, dp_place);
    if (dataparallel.contains("custom_mpi_options")) {
      d.dataparallel_custom_mpi_options =
          read_string(dataparallel["custom_mpi_options"], dp_place.at("custom_mpi_options"));
    }
    if (read_enabled(dataparallel, dp_place)) {
      // SMDDP starts its own mpirun; with mpi.enabled the container would take
      // the MPI runner and silently ignore dataparallel.
      if (d.mpi_enabled) dp_place.fail("cannot be combined with mpi.enabled true (SMDDP launches its own mpirun)");
      d.strategy = Distribution::Strategy::DataParallel;
    }
  }

  if (smdistributed.contains("modelparallel")) {
    const auto& modelparallel = smdistributed["modelparallel"];
    const JsonPlace mp_place = place.at("modelparallel");
    expect_object(modelparallel, mp_place);
    reject_unknown_keys(modelparallel, {"enabled", "parameters"}, mp_place);
    if (read_enabled(modelparallel, mp_place)) {
      if (!d.mpi_enabled) mp_place.fail("Cannot use Model Parallelism without MPI enabled (set mpi.enabled to true)");
      d.mp = read_model_parallel_parameters(modelparallel, mp_place, base_dir);
      d.strategy = Distribution::Strategy::ModelParallel;
    }
  }
  return d;
}

Distribution parse_distribution_arg(const std::string& json_or_path) {
  const auto first = json_or_path.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && json_or_path[first] == '{') {
    return parse_distribution(parse_json_text(json_or_path, "distribution"));
  }
  const std::filesystem::path file = json_or_path;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    throw UsageError("distribution: " + describe_json(nlohmann::json(json_or_path)) +
                     " is neither a JSON object ({...}) nor a file that exists");
  return parse_distribution(parse_json_text(read_text_file(file), "distribution file " + file.string()),
                            file.parent_path());
}

nlohmann::json distribution_hyperparameters(const Distribution& distribution, const std::string& instance_type) {
  nlohmann::json hps = nlohmann::json::object();
  if (distribution.mpi_enabled) {
    hps["sagemaker_mpi_enabled"] = true;
    if (distribution.processes_per_host > 0) {
      hps["sagemaker_mpi_num_of_processes_per_host"] = distribution.processes_per_host;
    }
    hps["sagemaker_mpi_custom_mpi_options"] = distribution.custom_mpi_options;
  }
  if (distribution.num_processes > 0) hps["sagemaker_mpi_num_processes"] = distribution.num_processes;
  if (distribution.mp) hps["mp_parameters"] = distribution.mp->given;
  if (distribution.strategy != Distribution::Strategy::None) {
    const bool dataparallel = distribution.strategy == Distribution::Strategy::DataParallel;
    hps["sagemaker_distributed_dataparallel_enabled"] = dataparallel;
    hps["sagemaker_instance_type"] = instance_type;
    if (dataparallel) {
      hps["sagemaker_distributed_dataparallel_custom_mpi_options"] = distribution.dataparallel_custom_mpi_options;
    }
  }
  return hps;
}

Distribution distribution_from_hyperparameters(const nlohmann::json& hyperparameters) {
  const JsonPlace place{"hyperparameters", ""};
  expect_object(hyperparameters, place);
  const nlohmann::json mp = hyperparameters.contains("mp_parameters") ? hyperparameters["mp_parameters"] : nlohmann::json();
  return from_framework_parameters(hyperparameters, place, mp, place.at("mp_parameters"));
}

Distribution distribution_from_environment(const Env& env) {
  const auto framework = env.get("SM_FRAMEWORK_PARAMS");
  const auto mp = env.get("SM_HP_MP_PARAMETERS");
  Distribution d = from_framework_parameters(
      framework ? parse_json_text(*framework, "SM_FRAMEWORK_PARAMS") : nlohmann::json::object(),
      {"SM_FRAMEWORK_PARAMS", ""}, mp ? parse_json_text(*mp, "SM_HP_MP_PARAMETERS") : nlohmann::json(),
      {"SM_HP_MP_PARAMETERS", ""});
  if (d.instance_type.empty()) d.instance_type = env.get("SM_CURRENT_INSTANCE_TYPE").value_or("");
  return d;
}

}  // namespace tandem::launcher
