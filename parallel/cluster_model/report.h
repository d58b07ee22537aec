#pragma once
// What `tandem bench --predict True` prints and writes: the cluster line, one
// prediction in detail, the sweep's best rows, the recommendation with its
// reason in numbers, and the whole sweep as JSON.

#include <string>

#include <nlohmann/json.hpp>

#include "parallel/cluster_model/sweep.h"

namespace tandem::cluster {

std::string render_cluster(const Job& job, const ClusterType& cluster);
std::string render_prediction(const Prediction& prediction);
// The `rows` best predictions, best first.
std::string render_sweep(const Sweep& sweep, int rows);
// The pick against the given strategy, and against its other placement when
// the sweep has it. "nothing fits" with the smallest memory seen when nothing does.
std::string render_recommendation(const Sweep& sweep, const Prediction& given);

nlohmann::json to_json(const Prediction& prediction);
nlohmann::json sweep_to_json(const Job& job, const ClusterType& cluster, const Prediction& given, const Sweep& sweep);

}  // namespace tandem::cluster
