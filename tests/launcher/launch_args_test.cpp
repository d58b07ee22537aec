// `tandem launch`'s command line as pure functions: the flag table, the
// checks between flags, and --help listing every flag of the table.
#include "engine/error.h"
#include "launcher/cli/launch_args.h"
#include "launcher/supervisor/job_supervisor.h"
#include "tests/common/error_matchers.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace tandem::launcher {
namespace {

TEST(LaunchArgs, DefaultsAndEveryFlag) {
  const LaunchArgs d = parse_launch_args({});
  EXPECT_FALSE(d.job_file);
  EXPECT_FALSE(d.dry_run || d.local || d.sagemaker);
  EXPECT_EQ(d.format, "text");
  EXPECT_FALSE(d.instance_count || d.processes_per_host || d.job_dir);
  EXPECT_EQ(d.stop_grace_seconds, kStopGraceSeconds);
  EXPECT_EQ(d.opt_ml, "/opt/ml");

  const LaunchArgs a = parse_launch_args({"--dry-run", "job.json", "--format", "json", "--local", "--instance_count",
                                          "2", "--processes_per_host", "3", "--job_dir", "runs/x",
                                          "--stop_grace_seconds", "0", "--opt_ml", "/tmp/ml"});
  EXPECT_EQ(a.job_file, "job.json");
  EXPECT_TRUE(a.dry_run && a.local && !a.sagemaker);
  EXPECT_EQ(a.format, "json");
  EXPECT_EQ(a.instance_count, 2);
  EXPECT_EQ(a.processes_per_host, 3);
  EXPECT_EQ(a.job_dir, "runs/x");
  EXPECT_EQ(a.stop_grace_seconds, 0);
  EXPECT_EQ(a.opt_ml, "/tmp/ml");
  EXPECT_TRUE(parse_launch_args({"--opt_ml", "rel"}).opt_ml.is_absolute());
}

struct LaunchRefusal {
  const char* name;
  std::vector<std::string> argv;
  const char* message;
};

void PrintTo(const LaunchRefusal& row, std::ostream* os) { *os << row.name; }

class LaunchRefusals : public testing::TestWithParam<LaunchRefusal> {};

// Each row was an e2e run of the binary (tests/e2e/launch_validation_test.cpp)
// or is new with the table; none needs a file or a process.
TEST_P(LaunchRefusals, OneMessageNamingTheFlag) {
  EXPECT_EQ(error_message_of<UsageError>([&] { validate_launch_args(parse_launch_args(GetParam().argv)); }), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Launch, LaunchRefusals,
    testing::Values(
        LaunchRefusal{"UnknownFlag", {"job.json", "--dryrun"},
                      "unknown flag --dryrun (did you mean --dry-run?) (see tandem launch --help)"},
        LaunchRefusal{"BadProcessCount", {"job.json", "--processes_per_host", "0"},
                      "--processes_per_host: \"0\" is out of range (expected an integer >= 1)"},
        LaunchRefusal{"BadFormat", {"job.json", "--dry-run", "--format", "yaml"},
                      "--format: \"yaml\" is not one of text, json"},
        LaunchRefusal{"NegativeGrace", {"job.json", "--stop_grace_seconds", "-1"},
                      "--stop_grace_seconds: \"-1\" is out of range (expected an integer >= 0)"},
        LaunchRefusal{"InstanceCountNotANumber", {"job.json", "--instance_count", "two"},
                      "--instance_count: \"two\" is not an integer"},
        LaunchRefusal{"MissingValue", {"job.json", "--job_dir"}, "--job_dir needs a value (dir)"},
        LaunchRefusal{"TwoJobFiles", {"a.json", "b.json"}, "one JOB.json at a time: got a.json and b.json"},
        LaunchRefusal{"JobFileInContainerMode", {"job.json", "--sagemaker"},
                      "--sagemaker reads the container's files, not a job file: drop job.json"},
        LaunchRefusal{"OverridesWithoutAJobFile", {"--sagemaker", "--local", "--processes_per_host", "2"},
                      "--local and --processes_per_host apply to a job file (tandem launch JOB.json ...), "
                      "not to a SageMaker container"},
        LaunchRefusal{"HostWaitWithAJobFile", {"job.json", "--host_wait_seconds", "5"},
                      "--host_wait_seconds and --host_timeout_seconds apply inside a SageMaker container, "
                      "not to a job file"},
        LaunchRefusal{"ZeroHostTimeout", {"--sagemaker", "--host_timeout_seconds", "0"},
                      "--host_timeout_seconds: \"0\" is out of range (expected an integer >= 1)"},
        LaunchRefusal{"JobDirWithoutAJobFile", {"--job_dir", "x"},
                      "--job_dir applies to a job file (tandem launch JOB.json ...), not to a SageMaker container"}),
    [](const testing::TestParamInfo<LaunchRefusal>& info) { return std::string(info.param.name); });

TEST(LaunchArgs, ValidCombinationsPass) {
  validate_launch_args(parse_launch_args({"job.json", "--local", "--instance_count", "1", "--job_dir", "x"}));
  validate_launch_args(parse_launch_args({"--sagemaker", "--dry-run", "--format", "json"}));
  validate_launch_args(parse_launch_args({}));  // a container is looked for later
}

// The list of flags comes from the table, so a new flag cannot be missed (the
// hand-written list this replaces had no --format).
TEST(LaunchArgs, HelpListsEveryFlagOfTheTable) {
  const std::string help = launch_flag_table().help();
  ASSERT_FALSE(launch_flag_table().names().empty());
  for (const auto& name : launch_flag_table().names()) EXPECT_NE(help.find("  --" + name), std::string::npos) << name;
  EXPECT_EQ(help.rfind("usage: tandem launch [JOB.json] [flags]\n", 0), 0u) << help;
  EXPECT_NE(help.find("--format <text|json>"), std::string::npos) << help;
  EXPECT_NE(help.find("(default: " + std::to_string(kStopGraceSeconds) + ")"), std::string::npos) << help;
}

}  // namespace
}  // namespace tandem::launcher
