#pragma once
// Hyperparameters the way SageMaker moves them (docs/sagemaker-contract.md §3.2,
// §3.3): the SDK writes hyperparameters.json as string -> json.dumps(value);
// the toolkit json-decodes each value (keeping the raw string when that
// fails), keeps sagemaker_* keys for itself and turns the rest into argv.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tandem::launcher {

// sagemaker_program, sagemaker_submit_directory, ..., _tuning_objective_metric:
// never passed to the program, not even in SM_FRAMEWORK_PARAMS.
bool is_reserved_hyperparameter(const std::string& name);

// The user's hyperparameters: neither sagemaker_* nor reserved (SM_HPS, argv).
nlohmann::json user_hyperparameters(const nlohmann::json& hyperparameters);
// The sagemaker_* ones that are not reserved (SM_FRAMEWORK_PARAMS).
nlohmann::json framework_parameters(const nlohmann::json& hyperparameters);

// The toolkit's to_cmd_args over the user's hyperparameters: keys sorted,
// `--key` (`-k` for one character), then str(value); a dict value becomes
// sorted `k=v` pairs joined by ',', None becomes "". Each element is one argv
// token: nothing here is meant for a shell.
std::vector<std::string> hyperparameters_to_argv(const nlohmann::json& hyperparameters);

// hyperparameters.json content -> decoded values. `source` names the file in errors.
nlohmann::json decode_hyperparameters(const nlohmann::json& file_content, const std::string& source);
// Decoded values -> hyperparameters.json content (the SDK's json.dumps per value).
nlohmann::json encode_hyperparameters(const nlohmann::json& hyperparameters);

}  // namespace tandem::launcher
