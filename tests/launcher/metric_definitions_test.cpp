#include "launcher/metrics/metric_definitions.h"

#include <gtest/gtest.h>

#include "engine/error.h"
#include "tests/common/error_matchers.h"

namespace tandem::launcher {
namespace {

using nlohmann::json;

// The regexes Hugging Face documents for SageMaker (docs/sagemaker-contract.md §4.2).
MetricMatcher hf_matcher() {
  return MetricMatcher(parse_metric_definitions(json::parse(R"([
      {"Name": "train_runtime", "Regex": "train_runtime.*=\\D*(.*?)$"},
      {"Name": "eval_accuracy", "Regex": "eval_accuracy.*=\\D*(.*?)$"},
      {"Name": "eval_loss", "Regex": "eval_loss.*=\\D*(.*?)$"}])"), "JOB.json"));
}

TEST(MetricMatcher, HuggingFaceRegexesOnLogMetricsLines) {
  const auto matcher = hf_matcher();
  auto samples = matcher.match("  eval_loss = 2.3456");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].name, "eval_loss");
  EXPECT_DOUBLE_EQ(samples[0].value, 2.3456);

  samples = matcher.match("  eval_accuracy           =     0.9125\n");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].name, "eval_accuracy");
  EXPECT_DOUBLE_EQ(samples[0].value, 0.9125);

  samples = matcher.match("  train_runtime = 123.4567");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_DOUBLE_EQ(samples[0].value, 123.4567);
}

// std::regex recurses per character: on an 8 MiB line the regexes' ".*" would
// overflow the stack. Only the first kMetricLineLimit characters are matched.
TEST(MetricMatcher, AHugeLineIsMatchedOnItsStartOnly) {
  const auto matcher = hf_matcher();
  const std::string huge = "  eval_loss = 2.5 " + std::string(8 << 20, 'x');
  EXPECT_TRUE(matcher.match(huge).empty());  // "2.5 xxx…" is not a number
  const std::string tail_beyond = std::string(kMetricLineLimit, ' ') + "eval_loss = 2.5";
  EXPECT_TRUE(matcher.match(tail_beyond).empty());
  EXPECT_EQ(matcher.match(std::string(kMetricLineLimit - 20, ' ') + "eval_loss = 2.5").size(), 1u);
}

TEST(MetricMatcher, MpiTaggedLinesMatch) {
  const auto matcher = hf_matcher();
  for (const char* line : {"[1,0]<stdout>:eval_loss = 2.3456", "[1,mpirank:0,algo-1]<stdout>:  eval_loss = 2.3456\r\n"}) {
    const auto samples = matcher.match(line);
    ASSERT_EQ(samples.size(), 1u) << line;
    EXPECT_EQ(samples[0].name, "eval_loss");
    EXPECT_DOUBLE_EQ(samples[0].value, 2.3456);
  }
}

TEST(MetricMatcher, NonNumbersAreSkipped) {
  const auto matcher = hf_matcher();
  EXPECT_TRUE(matcher.match("  train_runtime = 0:02:03.45").empty());  // HF's H:MM:SS.cc runtime format
  EXPECT_TRUE(matcher.match("  eval_loss = nan").empty());
  EXPECT_TRUE(matcher.match("step 10 loss 2.0").empty());
}

TEST(MetricMatcher, EveryDefinitionIsTried) {
  const MetricMatcher matcher(parse_metric_definitions(json::parse(R"([
      {"Name": "train:error", "Regex": "Train_error=(.*?);"},
      {"Name": "valid:error", "Regex": "Valid_error=(.*?);"}])"), "JOB.json"));
  const auto samples = matcher.match("Train_error=0.138318;  Valid_error=0.324557;");
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_DOUBLE_EQ(samples[0].value, 0.138318);
  EXPECT_DOUBLE_EQ(samples[1].value, 0.324557);
}

TEST(ParseMetricDefinitions, ErrorsNameTheEntry) {
  EXPECT_ERROR(parse_metric_definitions(json::object(), "JOB.json"), UsageError, "JOB.json: metric_definitions: expected a list");
  EXPECT_ERROR(parse_metric_definitions(json::parse(R"([{"Name": "loss"}])"), "JOB.json"), UsageError,
               "JOB.json: metric_definitions.0.Regex: missing");
  EXPECT_ERROR(parse_metric_definitions(json::parse(R"([{"Regex": "a(x)b"}])"), "JOB.json"), UsageError,
               "JOB.json: metric_definitions.0.Name: missing");
  EXPECT_ERROR(parse_metric_definitions(json::parse(R"([{"Name": "loss", "Regex": "a(x)b", "Unit": "s"}])"), "JOB.json"),
               UsageError, "JOB.json: unknown key \"metric_definitions.0.Unit\" (expected one of: Name, Regex)");
  EXPECT_ERROR(parse_metric_definitions(json::parse(R"([{"Name": "loss", "Regex": "loss=(.*"}])"), "JOB.json"), UsageError,
               "JOB.json: metric_definitions.0.Regex: does not compile");
  EXPECT_ERROR(parse_metric_definitions(json::parse(R"([{"Name": "loss", "Regex": "loss=.*"}])"), "JOB.json"), UsageError,
               "JOB.json: metric_definitions.0.Regex: needs a capture group");
  EXPECT_ERROR(parse_metric_definitions(json::parse(R"([{"Name": "", "Regex": "a(x)b"}])"), "JOB.json"), UsageError,
               "JOB.json: metric_definitions.0.Name: expected 1 to 255 characters");
  EXPECT_ERROR(parse_metric_definitions(json::parse(R"([{"Name": "a", "Regex": 5}])"), "JOB.json"), UsageError,
               "JOB.json: metric_definitions.0.Regex: expected a string");
  const json long_regex = json::array({{{"Name", "a"}, {"Regex", "(" + std::string(500, 'x') + ")"}}});
  EXPECT_ERROR(parse_metric_definitions(long_regex, "JOB.json"), UsageError, "metric_definitions.0.Regex: expected 1 to 500 characters");
}

}  // namespace
}  // namespace tandem::launcher
