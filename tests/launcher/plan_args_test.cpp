// `tandem plan`'s command line as pure functions: the flag table and the
// check between --distribution and --mp_parameters.
#include "engine/error.h"
#include "launcher/cli/plan_args.h"
#include "tests/common/error_matchers.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace tandem::launcher {
namespace {

TEST(PlanArgs, DefaultsAndEveryFlag) {
  const PlanArgs d = parse_plan_args({"--mp_parameters", "partitions=2"});
  EXPECT_EQ(d.mp_parameters, "partitions=2");
  EXPECT_EQ(d.model, "gpt2-124m");
  EXPECT_EQ(d.instance_count, 1);
  EXPECT_FALSE(d.processes_per_host);
  EXPECT_EQ(d.block_size, 1024);
  EXPECT_FALSE(d.per_device_train_batch_size);
  EXPECT_FALSE(d.json);
  validate_plan_args(d);

  const PlanArgs a = parse_plan_args({"--distribution", "{}", "--instance_count", "2", "--processes_per_host", "8",
                                      "--model_name_or_path", "gpt-mini", "--block_size", "64",
                                      "--per_device_train_batch_size", "4", "--json", "True"});
  EXPECT_EQ(a.distribution, "{}");
  EXPECT_EQ(a.instance_count, 2);
  EXPECT_EQ(a.processes_per_host, 8);
  EXPECT_EQ(a.model, "gpt-mini");
  EXPECT_EQ(a.block_size, 64);
  EXPECT_EQ(a.per_device_train_batch_size, 4);
  EXPECT_TRUE(a.json);
  validate_plan_args(a);
}

struct PlanRefusal {
  const char* name;
  std::vector<std::string> argv;
  const char* message;
};

void PrintTo(const PlanRefusal& row, std::ostream* os) { *os << row.name; }

class PlanRefusals : public testing::TestWithParam<PlanRefusal> {};

TEST_P(PlanRefusals, OneMessageNamingTheFlag) {
  EXPECT_EQ(error_message_of<UsageError>([&] { validate_plan_args(parse_plan_args(GetParam().argv)); }), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Plan, PlanRefusals,
    testing::Values(
        PlanRefusal{"NeitherDictNorParameters", {}, "tandem plan needs exactly one of --distribution or --mp_parameters"},
        PlanRefusal{"BothDictAndParameters", {"--distribution", "{}", "--mp_parameters", "partitions=2"},
                    "tandem plan needs exactly one of --distribution or --mp_parameters"},
        PlanRefusal{"ZeroHosts", {"--mp_parameters", "partitions=2", "--instance_count", "0"},
                    "--instance_count: \"0\" is out of range (expected an integer >= 1)"},
        PlanRefusal{"JsonNotABoolean", {"--mp_parameters", "partitions=2", "--json", "yes"},
                    "--json: \"yes\" is not a boolean (expected True or False)"},
        PlanRefusal{"MissingValue", {"--mp_parameters"}, "--mp_parameters needs a value (k=v,...)"},
        PlanRefusal{"TrainOnlyFlag", {"--mp_parameters", "partitions=2", "--learning_rate", "1"},
                    "unknown flag --learning_rate (see tandem plan --help)"}),
    [](const testing::TestParamInfo<PlanRefusal>& info) { return std::string(info.param.name); });

TEST(PlanArgs, HelpListsEveryFlagOfTheTable) {
  const std::string help = plan_flag_table().help();
  for (const auto& name : plan_flag_table().names()) EXPECT_NE(help.find("  --" + name), std::string::npos) << name;
  EXPECT_NE(help.find("--json <True|False>"), std::string::npos) << help;
  EXPECT_NE(help.find("(default: gpt2-124m)"), std::string::npos) << help;
}

}  // namespace
}  // namespace tandem::launcher
