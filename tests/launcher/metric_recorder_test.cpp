#include "launcher/local/metric_recorder.h"

#include <gtest/gtest.h>

#include <fstream>

#include "launcher/config/json_fields.h"
#include "tests/common/temp_dir.h"

namespace tandem::launcher {
namespace {

// The regexes of the Hugging Face SageMaker docs, over tandem's rank-tagged log.
TEST(MetricRecorder, HuggingFaceRegexesOverTheTaggedLog) {
  const TempDir dir;
  const auto file = dir.path() / "metrics.jsonl";
  {
    MetricRecorder recorder({{"train_runtime", "train_runtime.*=\\D*(.*?)$"},
                             {"eval_accuracy", "eval_accuracy.*=\\D*(.*?)$"},
                             {"eval_loss", "eval_loss.*=\\D*(.*?)$"}},
                            file);
    for (const char* line : {"[1,mpirank:0,algo-1]<stdout>:***** train metrics (step 6) *****",
                             "[1,mpirank:0,algo-1]<stdout>:  train_runtime = 12.5",
                             "[1,mpirank:0,algo-1]<stdout>:  eval_loss = 2.25",
                             "[1,mpirank:0,algo-1]<stdout>:  eval_accuracy = 0.875",
                             "[1,mpirank:0,algo-1]<stdout>:  eval_loss = 2.125",
                             "[1,mpirank:0,algo-1]<stdout>:  train_runtime = 0:02:03.45"}) {
      recorder.observe(line);
    }
    EXPECT_EQ(recorder.summary(), "train_runtime = 12.5 (1 sample)\neval_accuracy = 0.875 (1 sample)\n"
                                  "eval_loss = 2.125 (2 samples)\n");
  }
  std::ifstream in(file);
  std::vector<std::pair<std::string, double>> samples;
  for (std::string line; std::getline(in, line);) {
    const auto record = nlohmann::json::parse(line);
    samples.emplace_back(record["name"], record["value"]);
    EXPECT_GE(record["seconds"].get<double>(), 0.0);
  }
  EXPECT_EQ(samples, (std::vector<std::pair<std::string, double>>{
                         {"train_runtime", 12.5}, {"eval_loss", 2.25}, {"eval_accuracy", 0.875}, {"eval_loss", 2.125}}));
}

TEST(MetricRecorder, NoDefinitionsWriteNothing) {
  const TempDir dir;
  MetricRecorder recorder({}, dir.path() / "metrics.jsonl");
  recorder.observe("  eval_loss = 2.25");
  EXPECT_EQ(recorder.summary(), "");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "metrics.jsonl"));
}

}  // namespace
}  // namespace tandem::launcher
