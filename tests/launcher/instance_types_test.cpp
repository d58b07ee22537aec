#include "launcher/sagemaker/instance_types.h"

#include <gtest/gtest.h>

namespace tandem::launcher {
namespace {

TEST(InstanceTypes, GpusPerInstance) {
  const std::pair<const char*, int> table[] = {
      {"ml.p3.2xlarge", 1},    {"ml.p3.8xlarge", 4},    {"ml.p3.16xlarge", 8},  {"ml.p3dn.24xlarge", 8},
      {"ml.p4d.24xlarge", 8},  {"ml.p4de.24xlarge", 8}, {"ml.p5.48xlarge", 8},  {"ml.g4dn.xlarge", 1},
      {"ml.g4dn.16xlarge", 1}, {"ml.g4dn.12xlarge", 4}, {"ml.g4dn.metal", 8},   {"ml.g5.xlarge", 1},
      {"ml.g5.16xlarge", 1},   {"ml.g5.12xlarge", 4},   {"ml.g5.24xlarge", 4},  {"ml.g5.48xlarge", 8},
      {"ml.g6.2xlarge", 1},    {"ml.g6.12xlarge", 4},   {"ml.g6.48xlarge", 8},  {"ml.p6e-gb200.36xlarge", 4},
      {"local_cpu", 0}};
  for (const auto& [type, gpus] : table) EXPECT_EQ(gpus_per_instance(type), gpus) << type;
  EXPECT_EQ(gpus_per_instance("ml.c5.xlarge"), std::nullopt);
  EXPECT_EQ(gpus_per_instance("local"), std::nullopt);
  EXPECT_EQ(gpus_per_instance("local_gpu"), std::nullopt);
}

TEST(InstanceTypes, LocalModeNames) {
  EXPECT_TRUE(is_local_instance_type("local"));
  EXPECT_TRUE(is_local_instance_type("local_cpu"));
  EXPECT_TRUE(is_local_instance_type("local_gpu"));
  EXPECT_FALSE(is_local_instance_type("ml.p4d.24xlarge"));
}

// The toolkit's lists, in its order (docs/sagemaker-contract.md §3.6).
TEST(InstanceTypes, EfaListsMatchTheToolkit) {
  EXPECT_EQ(efa_nccl_instance_types(),
            (std::vector<std::string>{"ml.g4dn.8xlarge", "ml.g4dn.12xlarge", "ml.g5.48xlarge", "ml.p3dn.24xlarge",
                                      "ml.p4d.24xlarge", "ml.p4de.24xlarge", "ml.p5.48xlarge", "ml.trn1.32xlarge",
                                      "ml.p6e-gb200.36xlarge"}));
  EXPECT_EQ(efa_rdma_instance_types(), (std::vector<std::string>{"ml.p4d.24xlarge", "ml.p4de.24xlarge",
                                                                 "ml.trn1.32xlarge", "ml.p6e-gb200.36xlarge"}));
  EXPECT_TRUE(uses_efa_nccl("ml.p5.48xlarge"));
  EXPECT_FALSE(uses_efa_rdma("ml.p5.48xlarge"));
  EXPECT_FALSE(uses_efa_nccl("ml.p3.16xlarge"));
}

}  // namespace
}  // namespace tandem::launcher
