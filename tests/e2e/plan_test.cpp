// `tandem plan` reproduces the placement tables of the SageMaker docs.
#include "tests/e2e/run_tandem.h"
#include "tests/common/temp_dir.h"

#include <gtest/gtest.h>

namespace tandem::e2e {
namespace {

const char* kSeedJob =
    R"({"smdistributed": {"modelparallel": {"enabled": true, "parameters": {"microbatches": 4,
        "placement_strategy": "%s", "pipeline": "interleaved", "optimize": "speed", "partitions": 4, "ddp": true}}},
        "mpi": {"enabled": true, "processes_per_host": 8}})";

nlohmann::json plan_json(const std::string& placement, int hosts) {
  TempDir dir;
  char dict[1024];
  std::snprintf(dict, sizeof(dict), kSeedJob, placement.c_str());
  auto r = run_tandem({"plan", "--distribution", dict, "--instance_count", std::to_string(hosts),
                       "--model_name_or_path", "gpt-mini", "--json", "True"},
                      dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

TEST(Plan, SeedJobOnTwoHostsMatchesTheContractTable) {
  // docs/sagemaker-contract.md §1.3, worked example B: 2 hosts × 8, 4 partitions.
  for (const std::string placement : {"cluster", "spread"}) {
    auto rows = plan_json(placement, 2);
    ASSERT_EQ(rows.size(), 16u);
    for (int rank = 0; rank < 16; ++rank) {
      const auto& row = rows[rank];
      EXPECT_EQ(row["rank"], rank);
      EXPECT_EQ(row["host"], rank < 8 ? "algo-1" : "algo-2");
      EXPECT_EQ(row["local_rank"], rank % 8);
      const int pp = placement == "cluster" ? rank % 4 : rank / 4;
      const int dp = placement == "cluster" ? rank / 4 : rank % 4;
      EXPECT_EQ(row["pp_rank"], pp) << placement << " rank " << rank;
      EXPECT_EQ(row["dp_rank"], dp) << placement << " rank " << rank;
      EXPECT_FALSE(row["stage_layers"].get<std::string>().empty());
    }
  }
}

TEST(Plan, EightRanksTwoPartitionsModelGroups) {
  TempDir dir;
  auto table = [&](const std::string& placement) {
    auto r = run_tandem({"plan", "--mp_parameters", "partitions=2,ddp=True,placement_strategy=" + placement,
                         "--processes_per_host", "8", "--model_name_or_path", "gpt-tiny"},
                        dir.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  EXPECT_NE(table("spread").find("[0,4] [1,5] [2,6] [3,7]"), std::string::npos) << table("spread");
  EXPECT_NE(table("cluster").find("[0,1] [2,3] [4,5] [6,7]"), std::string::npos) << table("cluster");
  const std::string text = table("cluster");
  EXPECT_NE(text.find("theoretical bubble: "), std::string::npos);
  EXPECT_NE(text.find("rank 1  "), std::string::npos);  // the schedule grid
}

TEST(Plan, BadDistributionIsOneLine) {
  TempDir dir;
  auto r = run_tandem({"plan", "--mp_parameters", "partitions=3", "--processes_per_host", "8"}, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("partitions"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

// tandem's schedules take no cap on microbatches in flight: a given
// active_microbatches is met as it is or refused, never ignored.
TEST(Plan, ActiveMicrobatchesBelowTheSchedulesCountIsRefused) {
  TempDir dir;
  const std::string simple = "partitions=2,microbatches=4,pipeline=simple,active_microbatches=";
  auto refused = run_tandem({"plan", "--mp_parameters", simple + "3", "--processes_per_host", "2",
                             "--model_name_or_path", "gpt-tiny"}, dir.path());
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("active_microbatches: 3 is below the 4 microbatches the simple schedule keeps in flight"),
            std::string::npos) << refused.err;
  auto met = run_tandem({"plan", "--mp_parameters", simple + "4", "--processes_per_host", "2",
                         "--model_name_or_path", "gpt-tiny"}, dir.path());
  EXPECT_EQ(met.exit_code, 0) << met.err;
  // 1F1B keeps p = 2 in flight whatever m is.
  auto one_f_one_b = run_tandem({"plan", "--mp_parameters", "partitions=2,microbatches=4,active_microbatches=2",
                                 "--processes_per_host", "2", "--model_name_or_path", "gpt-tiny"}, dir.path());
  EXPECT_EQ(one_f_one_b.exit_code, 0) << one_f_one_b.err;
}

// zero_bubble with two chunks per rank is the V: rank 0 runs the first and the
// last stage (embedding and head), rank 1 the two in the middle.
TEST(Plan, ZeroBubbleWithTwoChunksPrintsTheV) {
  TempDir dir;
  auto r = run_tandem({"plan", "--mp_parameters", "partitions=2,microbatches=4,virtual_stages=2,zero_bubble=True",
                       "--processes_per_host", "2", "--model_name_or_path", "gpt-tiny", "--json", "True"},
                      dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = nlohmann::json::parse(r.out);
  ASSERT_EQ(rows.size(), 2u);
  const std::string rank0 = rows[0]["stage_layers"].get<std::string>();
  EXPECT_EQ(rank0.rfind("embedding", 0), 0u) << rank0;
  EXPECT_NE(rank0.find("head"), std::string::npos) << rank0;
  EXPECT_EQ(rows[1]["stage_layers"].get<std::string>().find("head"), std::string::npos);
  auto text = run_tandem({"plan", "--mp_parameters", "partitions=2,microbatches=4,virtual_stages=2,zero_bubble=True",
                          "--processes_per_host", "2", "--model_name_or_path", "gpt-tiny"},
                         dir.path());
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("schedule zb_v, 4 microbatches"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("theoretical bubble: 4.0% of the step"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("F0.1"), std::string::npos) << text.out;  // the grid draws the second chunk
}

TEST(Plan, InertParametersArePrinted) {
  TempDir dir;
  auto r = run_tandem({"plan", "--mp_parameters", "partitions=2,deterministic_server=True", "--processes_per_host", "2",
                       "--model_name_or_path", "gpt-tiny"}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("mp_parameters: deterministic_server True: no effect"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace tandem::e2e
