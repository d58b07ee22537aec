// Every example job's hyperparameters, turned into argv the way the SageMaker
// toolkit does, are accepted by `tandem train`'s flag table and its
// cross-flag checks: a flag renamed or a range tightened cannot leave the
// examples behind. Pure functions; no process runs.
#include "engine/config/train_args.h"
#include "launcher/sagemaker/hyperparameters.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

namespace tandem::e2e {
namespace {
namespace fs = std::filesystem;

struct ExampleJob {
  fs::path file;
};

void PrintTo(const ExampleJob& job, std::ostream* os) { *os << job.file.filename().string(); }

std::vector<ExampleJob> example_jobs() {
  std::vector<ExampleJob> jobs;
  for (const auto& entry : fs::directory_iterator(fs::path(TANDEM_SOURCE_DIR) / "examples" / "jobs"))
    if (entry.path().extension() == ".json") jobs.push_back({entry.path()});
  std::sort(jobs.begin(), jobs.end(), [](const auto& a, const auto& b) { return a.file < b.file; });
  return jobs;
}

class ExampleJobArgs : public testing::TestWithParam<ExampleJob> {};

TEST_P(ExampleJobArgs, HyperparametersParseAndValidate) {
  std::ifstream in(GetParam().file);
  const auto job = nlohmann::json::parse(in);
  ASSERT_TRUE(job.contains("hyperparameters")) << GetParam().file;
  const auto argv = launcher::hyperparameters_to_argv(job["hyperparameters"]);
  ASSERT_FALSE(argv.empty());
  const TrainArgs args = parse_train_args(argv, {});
  validate_train_args(args);
  for (const auto& [key, value] : job["hyperparameters"].items()) EXPECT_TRUE(args.was_set(key)) << key;
}

TEST(ExampleJobs, ThereAreExamples) { EXPECT_GE(example_jobs().size(), 5u); }

INSTANTIATE_TEST_SUITE_P(Examples, ExampleJobArgs, testing::ValuesIn(example_jobs()),
                         [](const testing::TestParamInfo<ExampleJob>& info) {
                           std::string name = info.param.file.stem().string();
                           std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
                           return name;
                         });

}  // namespace
}  // namespace tandem::e2e
