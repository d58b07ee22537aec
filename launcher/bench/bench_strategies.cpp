// The measured strategies and their distribution dicts (bench_strategies.h).
#include "launcher/bench/bench_strategies.h"

#include "engine/error.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tandem::launcher {
namespace {

std::string mpi_only() { return R"({"mpi": {"enabled": true}})"; }

// SMP's dict with the pipeline parameters (docs/sagemaker-contract.md).
std::string model_parallel(const cluster::Strategy& s, int processes) {
  nlohmann::json parameters = {{"partitions", s.partitions},
                               {"microbatches", s.microbatches},
                               {"pipeline", s.kind == "simple" ? "simple" : "interleaved"},
                               {"placement_strategy", s.placement}};
  if (s.virtual_stages > 1) parameters["virtual_stages"] = s.virtual_stages;
  if (s.kind == "zb_h1") parameters["zero_bubble"] = true;
  if (processes / s.partitions > 1) parameters["ddp"] = true;
  const nlohmann::json dict = {
      {"smdistributed", {{"modelparallel", {{"enabled", true}, {"parameters", parameters}}}}},
      {"mpi", {{"enabled", true}, {"processes_per_host", processes}}}};
  return dict.dump();
}

void require_divides(int whole, int part, const std::string& what) {
  if (part < 1 || whole % part != 0)
    throw UsageError("--global_batch: " + std::to_string(whole) + " examples do not divide into " + what);
}

}  // namespace

std::vector<std::string> bench_strategy_names() {
  return {"single",      "data_parallel", "pipeline_simple", "pipeline_1f1b",
          "virtual_stages", "zero_bubble", "hybrid_cluster", "hybrid_spread"};
}

std::vector<BenchStrategy> bench_strategies(const BenchSizes& z, const std::string& selection) {
  std::vector<std::string> wanted;
  std::stringstream list(selection);
  for (std::string name; std::getline(list, name, ',');) {
    if (name.empty()) continue;
    const auto known = bench_strategy_names();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string all;
      for (const auto& k : known) all += (all.empty() ? "" : ", ") + k;
      throw UsageError("--strategies: unknown strategy \"" + name + "\" (expected a comma-separated list of: " + all + ")");
    }
    wanted.push_back(name);
  }
  const auto pipeline = [&](const std::string& name, const std::string& kind, int virtual_stages, int processes,
                            int microbatches, const std::string& placement) {
    BenchStrategy s;
    s.name = name;
    s.processes = processes;
    s.model = {kind, 2, microbatches, virtual_stages, placement};
    require_divides(z.global_batch, s.replicas(), std::to_string(s.replicas()) + " replicas (" + name + ")");
    s.per_device_batch = z.global_batch / s.replicas();
    require_divides(s.per_device_batch, microbatches, std::to_string(microbatches) + " microbatches per replica (" + name + ")");
    s.distribution = model_parallel(s.model, processes);
    return s;
  };
  std::vector<BenchStrategy> all;
  {
    BenchStrategy s;
    s.name = "single";
    s.per_device_batch = z.global_batch;
    all.push_back(s);
  }
  {
    BenchStrategy s;
    s.name = "data_parallel";
    s.processes = z.processes;
    require_divides(z.global_batch, z.processes, std::to_string(z.processes) + " replicas (data_parallel)");
    s.per_device_batch = z.global_batch / z.processes;
    s.distribution = mpi_only();
    all.push_back(s);
  }
  const int hybrid_microbatches = std::max(2, z.microbatches / 2);
  all.push_back(pipeline("pipeline_simple", "simple", 1, z.processes, z.microbatches, "cluster"));
  all.push_back(pipeline("pipeline_1f1b", "interleaved", 1, z.processes, z.microbatches, "cluster"));
  all.push_back(pipeline("virtual_stages", "interleaved_virtual", 2, z.processes, z.microbatches, "cluster"));
  all.push_back(pipeline("zero_bubble", "zb_h1", 1, z.processes, z.microbatches, "cluster"));
  all.push_back(pipeline("hybrid_cluster", "interleaved", 1, z.hybrid_processes, hybrid_microbatches, "cluster"));
  all.push_back(pipeline("hybrid_spread", "interleaved", 1, z.hybrid_processes, hybrid_microbatches, "spread"));
  if (wanted.empty()) return all;
  std::vector<BenchStrategy> chosen;
  for (const auto& s : all)
    if (std::find(wanted.begin(), wanted.end(), s.name) != wanted.end()) chosen.push_back(s);
  return chosen;
}

}  // namespace tandem::launcher
