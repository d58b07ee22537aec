#include "launcher/sagemaker/instance_types.h"

#include <algorithm>
#include <map>

namespace tandem::launcher {
namespace {

// GPU families whose single-GPU sizes run from xlarge to 16xlarge and whose
// 12xlarge/24xlarge carry 4 GPUs and 48xlarge 8.
void add_g_family(std::map<std::string, int>& table, const std::string& family) {
  for (const char* size : {"xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge"}) table["ml." + family + "." + size] = 1;
  table["ml." + family + ".12xlarge"] = 4;
  table["ml." + family + ".24xlarge"] = 4;
  table["ml." + family + ".48xlarge"] = 8;
}

const std::map<std::string, int>& gpu_table() {
  static const std::map<std::string, int> table = [] {
    std::map<std::string, int> t = {
        {"ml.p2.xlarge", 1},         {"ml.p2.8xlarge", 8},        {"ml.p2.16xlarge", 16},
        {"ml.p3.2xlarge", 1},        {"ml.p3.8xlarge", 4},        {"ml.p3.16xlarge", 8},
        {"ml.p3dn.24xlarge", 8},     {"ml.p4d.24xlarge", 8},      {"ml.p4de.24xlarge", 8},
        {"ml.p5.48xlarge", 8},       {"ml.p5e.48xlarge", 8},      {"ml.p5en.48xlarge", 8},
        {"ml.p6-b200.48xlarge", 8},  {"ml.p6e-gb200.36xlarge", 4},
        {"ml.g4dn.xlarge", 1},       {"ml.g4dn.2xlarge", 1},      {"ml.g4dn.4xlarge", 1},
        {"ml.g4dn.8xlarge", 1},      {"ml.g4dn.16xlarge", 1},     {"ml.g4dn.12xlarge", 4},
        {"ml.g4dn.metal", 8},
        {"local_cpu", 0},
    };
    add_g_family(t, "g5");
    add_g_family(t, "g6");
    add_g_family(t, "g6e");
    return t;
  }();
  return table;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

bool is_local_instance_type(const std::string& instance_type) {
  return instance_type == "local" || instance_type == "local_cpu" || instance_type == "local_gpu";
}

std::optional<int> gpus_per_instance(const std::string& instance_type) {
  const auto it = gpu_table().find(instance_type);
  if (it == gpu_table().end()) return std::nullopt;
  return it->second;
}

const std::vector<std::string>& efa_nccl_instance_types() {
  static const std::vector<std::string> types = {
      "ml.g4dn.8xlarge",  "ml.g4dn.12xlarge", "ml.g5.48xlarge",   "ml.p3dn.24xlarge",     "ml.p4d.24xlarge",
      "ml.p4de.24xlarge", "ml.p5.48xlarge",   "ml.trn1.32xlarge", "ml.p6e-gb200.36xlarge"};
  return types;
}

const std::vector<std::string>& efa_rdma_instance_types() {
  static const std::vector<std::string> types = {"ml.p4d.24xlarge", "ml.p4de.24xlarge", "ml.trn1.32xlarge",
                                                 "ml.p6e-gb200.36xlarge"};
  return types;
}

bool uses_efa_nccl(const std::string& instance_type) { return contains(efa_nccl_instance_types(), instance_type); }

bool uses_efa_rdma(const std::string& instance_type) { return contains(efa_rdma_instance_types(), instance_type); }

}  // namespace tandem::launcher
