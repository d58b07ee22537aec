// The instance table. Bandwidths are the vendors' line rates times the share
// NCCL sustains on them (0.82 on NVLink: 370 of 450 GB/s measured on H100,
// 0.8 on EFA: 80 of 100 Gbit/s measured on two p3dn hosts); docs/clusters.md
// gives each source and derivation.
#include "parallel/cluster_model/cluster_table.h"

#include "engine/error.h"

namespace tandem::cluster {
namespace {

constexpr double kGB = 1e9;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kTera = 1e12;
constexpr double kNvlinkShare = 370.0 / 450.0;  // NCCL busbw / NVLink4 line rate, 8x H100
constexpr double kEfaShare = 0.8;              // 80 of 100 Gbit/s on 2 p3dn hosts
constexpr double kNvlinkAlpha = 1e-6;          // per ring step inside a host
constexpr double kEfaAlpha = 10e-6;            // per ring step between hosts

Link nvlink(const std::string& name, double line_gb_per_s) {
  return {name, kNvlinkAlpha, line_gb_per_s * kGB * kNvlinkShare};
}
Link efa(double gbit_per_s) { return {"EFA " + std::to_string(static_cast<int>(gbit_per_s)) + " Gbit/s", kEfaAlpha, gbit_per_s / 8 * kGB * kEfaShare}; }

const std::vector<ClusterType>& table() {
  static const std::vector<ClusterType> clusters = {
      {"ml.p3dn.24xlarge", 8, {"V100 32 GB", 125 * kTera, 32 * kGiB, "fp16"}, nvlink("NVLink2", 150), efa(100)},
      {"ml.p4d.24xlarge", 8, {"A100 40 GB", 312 * kTera, 40 * kGiB, "bf16"}, nvlink("NVLink3/NVSwitch", 300), efa(400)},
      {"ml.p5.48xlarge", 8, {"H100 80 GB", 989 * kTera, 80 * kGiB, "bf16"}, nvlink("NVLink4/NVSwitch", 450), efa(3200)},
  };
  return clusters;
}

}  // namespace

double calibrated_tokens_per_second(Calibration calibration) {
  return calibration == Calibration::Eager ? 352173.0 : 490914.0;
}

double calibration_peak_flops() { return 989 * kTera; }

Calibration parse_calibration(const std::string& name) {
  if (name == "eager") return Calibration::Eager;
  if (name == "compile") return Calibration::Compile;
  throw UsageError("--calibration: \"" + name + "\" is not one of eager, compile");
}

std::vector<std::string> cluster_names() {
  std::vector<std::string> names;
  for (const auto& c : table()) names.push_back(c.instance_type);
  return names;
}

const ClusterType& find_cluster(const std::string& instance_type) {
  for (const auto& c : table())
    if (c.instance_type == instance_type) return c;
  std::string known;
  for (const auto& n : cluster_names()) known += (known.empty() ? "" : ", ") + n;
  throw UsageError("--cluster: unknown instance type \"" + instance_type + "\" (expected one of: " + known + ")");
}

}  // namespace tandem::cluster
