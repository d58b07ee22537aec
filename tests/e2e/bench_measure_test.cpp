// `tandem bench` measuring, as a user runs it: every strategy on gpt-tiny
// with --quick True produces the table, bench.json with every strategy's
// numbers, bench.csv, a Chrome trace per strategy with one track per rank,
// and SVG charts that parse as XML (Python's xml.etree, the build's Python);
// a bad train flag is refused in one line before anything runs.
#include "tests/common/temp_dir.h"
#include "tests/e2e/run_tandem.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

namespace tandem::e2e {
namespace {

namespace fs = std::filesystem;

TEST(BenchMeasure, QuickRunOfEveryStrategyWritesTheTableAndEveryFile) {
  TempDir dir;
  const std::string out = dir.file("bench");
  auto r = run_tandem({"bench", "--quick", "True", "--model_name_or_path", "gpt-tiny", "--block_size", "16",
                       "--max_steps", "3", "--rounds", "2", "--output_dir", out},
                      dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("profiling gpt-tiny"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[round 2/2] [8/8] hybrid_spread: 4 rank(s)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[8/8] hybrid_spread: step "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("strategy        ranks step ms"), std::string::npos) << r.out;

  const auto json = nlohmann::json::parse(slurp(out + "/bench.json"));
  const auto& rows = json.at("strategies");
  std::vector<std::string> names;
  for (const auto& row : rows) {
    names.push_back(row.at("name").get<std::string>());
    for (const char* key : {"measured_step_s", "predicted_step_s", "tokens_per_second", "bubble_measured",
                            "bubble_theory", "comm_bytes", "comm_bytes_intra_host", "comm_bytes_inter_host", "comm_s",
                            "peak_memory_bytes", "prediction_error"})
      EXPECT_TRUE(row.at(key).is_number()) << names.back() << " " << key;
    EXPECT_GT(row.at("measured_step_s").get<double>(), 0) << names.back();
    // Two rounds; the reported step is the median round's (the slower of two).
    const auto rounds = row.at("measured_step_s_rounds").get<std::vector<double>>();
    ASSERT_EQ(rounds.size(), 2u) << names.back();
    EXPECT_EQ(row.at("measured_step_s").get<double>(), std::max(rounds[0], rounds[1])) << names.back();
    EXPECT_GT(row.at("predicted_step_s").get<double>(), 0) << names.back();
    EXPECT_GT(row.at("peak_memory_bytes").get<double>(), 0) << names.back();
    // Every strategy with more than one rank sends something; one process sends nothing.
    if (row.at("processes").get<int>() > 1) EXPECT_GT(row.at("comm_bytes").get<double>(), 0) << names.back();
    else EXPECT_EQ(row.at("comm_bytes").get<double>(), 0) << names.back();
  }
  EXPECT_EQ(names, (std::vector<std::string>{"single", "data_parallel", "pipeline_simple", "pipeline_1f1b",
                                             "virtual_stages", "zero_bubble", "hybrid_cluster", "hybrid_spread"}));
  // The cores' sharing the model followed: one entry per core, 1 for a core alone.
  const auto profile = nlohmann::json::parse(slurp(out + "/profile/profile.json"));
  const auto sharing = profile.at("slowdown_with_busy_cores").get<std::vector<double>>();
  ASSERT_EQ(static_cast<int>(sharing.size()), profile.at("cores").get<int>());
  EXPECT_EQ(sharing.front(), 1.0);
  const std::string csv = slurp(out + "/bench.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 9);

  // One Chrome trace per strategy, one track (tid) per rank.
  for (const auto& row : rows) {
    const std::string name = row.at("name").get<std::string>();
    const auto trace = nlohmann::json::parse(slurp(out + "/traces/" + name + ".trace.json"));
    std::set<int> tracks;
    for (const auto& e : trace.at("traceEvents"))
      if (e.at("ph") == "X") tracks.insert(e.at("tid").get<int>());
    EXPECT_EQ(static_cast<int>(tracks.size()), row.at("processes").get<int>()) << name;
  }

  // Every SVG parses as XML and is an <svg> document.
  std::vector<std::string> svgs;
  for (const auto& entry : fs::directory_iterator(out + "/charts")) svgs.push_back(entry.path().string());
  EXPECT_EQ(svgs.size(), 9u);  // throughput + one timeline per strategy
  std::vector<std::string> check = {TANDEM_PYTHON, "-c",
                                    "import sys, xml.etree.ElementTree as E\n"
                                    "for f in sys.argv[1:]:\n"
                                    "    assert E.parse(f).getroot().tag.endswith('svg'), f\n"
                                    "print('parsed', len(sys.argv) - 1)\n"};
  check.insert(check.end(), svgs.begin(), svgs.end());
  auto parsed = run_command(check, dir.path());
  EXPECT_EQ(parsed.exit_code, 0) << parsed.err;
  EXPECT_NE(parsed.out.find("parsed 9"), std::string::npos) << parsed.out << parsed.err;
}

TEST(BenchMeasure, ABadTrainFlagIsRefusedBeforeAnythingRuns) {
  TempDir dir;
  auto r = run_tandem({"bench", "--quick", "True", "--output_dir", dir.file("b"), "--learning_rate", "fast"},
                      dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--learning_rate"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("b/runs"))) << "ran before refusing";
}

}  // namespace
}  // namespace tandem::e2e
