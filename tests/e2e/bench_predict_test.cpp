// `tandem bench` as a user runs it: --predict True prints the prediction, the
// sweep and the recommendation for the seed's job on two p3dn hosts and writes
// the sweep only when --output_dir is given; predicting flags without
// --predict True, and bad inputs, get one line and exit 2.
#include "tests/e2e/run_tandem.h"
#include "tests/common/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace tandem::e2e {
namespace {

const std::string kSeedDict =
    R"({"smdistributed": {"modelparallel": {"enabled": true, "parameters": {"microbatches": 4,
        "placement_strategy": "spread", "pipeline": "interleaved", "optimize": "speed", "partitions": 4, "ddp": true}}},
        "mpi": {"enabled": true, "processes_per_host": 8}})";

std::vector<std::string> seed_args() {
  return {"bench", "--predict", "True", "--cluster", "ml.p3dn.24xlarge", "--instance_count", "2",
          "--model_name_or_path", "gpt-mini", "--block_size", "64", "--per_device_train_batch_size", "8",
          "--distribution", kSeedDict};
}

TEST(BenchPredict, SeedJobOnTwoP3dnPrintsThePredictionAndRecommendation) {
  TempDir dir;
  auto r = run_tandem(seed_args(), dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("interleaved p=4 m=4 spread on 16 GPUs (4 stages x 4 data-parallel replicas)"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nrecommended: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("inter-host"), std::string::npos) << r.out;
  // The scratch folder (the program's working directory) holds only the captured output.
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(name == ".stdout" || name == ".stderr") << "wrote " << name << " without --output_dir";
  }

  auto args = seed_args();
  args.insert(args.end(), {"--output_dir", (dir.path() / "out").string()});
  r = run_tandem(args, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(dir.path() / "out" / "cluster_prediction.json");
  const auto json = nlohmann::json::parse(in);
  EXPECT_EQ(json.at("given").at("strategy"), "interleaved p=4 m=4 spread");
  EXPECT_GT(json.at("strategies").size(), 20u);
  EXPECT_TRUE(json.at("recommended").at("fits").get<bool>());
}

TEST(BenchPredict, RefusalsAreOneLineWithExitTwo) {
  TempDir dir;
  auto refused = [&](std::vector<std::string> args, const std::string& text) {
    auto r = run_tandem(args, dir.path());
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  };
  refused({"bench", "--distribution", kSeedDict, "--output_dir", dir.file("b")},
          "--distribution: only with --predict True");
  auto args = seed_args();
  args = with_flag(args, "--cluster", "ml.p9.huge");
  refused(args, "--cluster: unknown instance type \"ml.p9.huge\"");
  args = seed_args();
  args = with_flag(args, "--instance_count", "0");
  refused(args, "--instance_count");
}

}  // namespace
}  // namespace tandem::e2e
