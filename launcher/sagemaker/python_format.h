#pragma once
// Text exactly as Python renders it, because SageMaker's SDK and toolkit are
// Python: hyperparameters become argv through str(), SM_* variables hold
// json.dumps(..., sort_keys=True, separators=(",", ":")), and the SDK writes
// hyperparameters.json values with json.dumps(value).

#include <string>

#include <nlohmann/json.hpp>

namespace tandem::launcher {

// repr(float): shortest round-trip digits; exponent form below 1e-4 and from
// 1e16 on (1e-05, 1e+16), otherwise fixed with at least one decimal (4.0).
std::string python_float_repr(double value);

// str(value) of the value json.loads would give: True/False/None, 4.0,
// strings unquoted, lists and dicts as their repr (['a', 1], {'k': 'v'}).
std::string python_str(const nlohmann::json& value);

// json.dumps(value, sort_keys=True, separators=(",", ":")) (ensure_ascii on).
std::string python_json_compact(const nlohmann::json& value);

// json.dumps(value) with sorted keys: separators ", " and ": ".
std::string python_json_dumps(const nlohmann::json& value);

}  // namespace tandem::launcher
