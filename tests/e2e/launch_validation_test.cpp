// Every bad job or flag: one line `tandem: error: ...` naming what to fix,
// exit 2, nothing started and nothing written.
#include "launcher/cli/launch_args.h"
#include "tests/e2e/launch_jobs.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <ostream>

namespace tandem::e2e {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

struct BadJobCase {
  const char* name;
  const char* job;                  // merged into a valid tiny local job (JSON merge patch)
  std::vector<std::string> flags;   // after the job file
  const char* message;
};

void PrintTo(const BadJobCase& c, std::ostream* os) { *os << c.name; }

class LaunchValidation : public ::testing::TestWithParam<BadJobCase> {};

TEST_P(LaunchValidation, OneLineExitTwoNothingRun) {
  const auto& c = GetParam();
  TempDir dir;
  write_lm_channels(dir);
  json job = tiny_job(1, 1);
  job.merge_patch(json::parse(c.job));
  std::vector<std::string> args{write_job(dir, "job.json", job), "--job_dir", dir.file("jobdir")};
  args.insert(args.end(), c.flags.begin(), c.flags.end());
  const auto started = std::chrono::steady_clock::now();
  const auto r = launch(args, dir);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("tandem: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(c.message), std::string::npos) << "stderr: " << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(fs::exists(dir.file("jobdir")));
}

INSTANTIATE_TEST_SUITE_P(
    Launch, LaunchValidation,
    ::testing::Values(
        BadJobCase{"UnknownDistributionKey", R"({"distribution": {"pytorchddp": {"enabled": true}}})", {},
                   "distribution: unknown key \"pytorchddp\" (expected one of: smdistributed, mpi)"},
        BadJobCase{"DataAndModelParallelTogether",
                   R"({"distribution": {"mpi": {"enabled": true}, "smdistributed": {"dataparallel": {"enabled": true},
                       "modelparallel": {"enabled": true, "parameters": {"partitions": 1}}}}})",
                   {}, "Cannot use more than 1 smdistributed strategy"},
        BadJobCase{"ModelParallelWithoutMpi",
                   R"({"distribution": {"mpi": null, "smdistributed": {"modelparallel": {"enabled": true,
                       "parameters": {"partitions": 2}}}}})",
                   {}, "Cannot use Model Parallelism without MPI enabled (set mpi.enabled to true)"},
        BadJobCase{"PartitionsDoNotDivideTheProcesses",
                   R"({"instance_count": 1, "distribution": {"mpi": {"processes_per_host": 3},
                       "smdistributed": {"modelparallel": {"enabled": true, "parameters": {"partitions": 2}}}}})",
                   {}, "partitions: 2 pipeline stages do not divide 3 processes (instance_count 1 x processes_per_host 3)"},
        BadJobCase{"MoreProcessesThanGpus", R"({"instance_type": "ml.p4d.24xlarge", "distribution": {"mpi": {"processes_per_host": 16}}})",
                   {"--dry-run"}, "processes_per_host: 16 exceeds the 8 GPUs of one ml.p4d.24xlarge"},
        BadJobCase{"SpotWithoutMaxWait", R"({"use_spot_instances": true})", {}, "max_wait: required with use_spot_instances"},
        BadJobCase{"MaxWaitBelowMaxRun", R"({"use_spot_instances": true, "max_run": 3600, "max_wait": 600})", {},
                   "MaxWaitTimeInSeconds must be larger than MaxRuntimeInSeconds (max_wait 600, max_run 3600)"},
        BadJobCase{"CustomMpiOptionRepeatsALocalFlag", R"({"distribution": {"mpi": {"custom_mpi_options": "--oversubscribe"}}})", {},
                   "custom_mpi_options: \"--oversubscribe\" is already set by the launcher"},
        BadJobCase{"CustomMpiOptionRepeatsAToolkitFlag",
                   R"({"instance_type": "ml.p4d.24xlarge", "distribution": {"mpi": {"custom_mpi_options":
                       "-mca btl_vader_single_copy_mechanism none"}}})",
                   {"--dry-run"}, "custom_mpi_options: \"-mca btl_vader_single_copy_mechanism\" is already set"},
        BadJobCase{"MissingInputPath", R"({"inputs": {"train": "no/such/folder"}})", {}, "no/such/folder does not exist"},
        BadJobCase{"S3InputLocally", R"({"inputs": {"train": "s3://bucket/train"}})", {},
                   "s3:// inputs need network access; local mode takes local paths or file://"},
        BadJobCase{"S3CheckpointsLocally", R"({"checkpoint_s3_uri": "s3://bucket/ckpt"})", {}, "checkpoint_s3_uri: s3:// checkpoints"},
        BadJobCase{"SageMakerTypeWithoutDryRun", R"({"instance_type": "ml.p4d.24xlarge"})", {},
                   "instance_type ml.p4d.24xlarge runs on SageMaker: add --dry-run to see its command, or --local"},
        BadJobCase{"UnknownJobKey", R"({"instance_typ": "local"})", {}, "unknown key \"instance_typ\""},
        BadJobCase{"MissingEntryPointScript", R"({"entry_point": "train.sh"})", {}, "train.sh does not exist"},
        // Flag errors are pure-function rows in tests/launcher/launch_args_test.cpp; this one
        // checks that the binary turns them into one line and exit 2.
        BadJobCase{"UnknownFlag", "{}", {"--dryrun"}, "unknown flag --dryrun (did you mean --dry-run?)"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(LaunchUsage, NoJobFileOutsideAContainer) {
  TempDir dir;
  const auto r = launch({"--opt_ml", dir.file("nothing")}, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "tandem: error: expected a job file: tandem launch JOB.json (tandem launch --help)\n");
}

TEST(LaunchUsage, AMissingJobFileIsNamed) {
  TempDir dir;
  const auto r = launch({dir.file("nope.json")}, dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(dir.file("nope.json")), std::string::npos) << r.err;
}

// The binary prints the help generated from the flag table (whose every flag
// tests/launcher/launch_args_test.cpp finds in it).
TEST(LaunchUsage, HelpIsTheTablesHelp) {
  TempDir dir;
  const auto r = launch({"--help"}, dir);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, launcher::launch_flag_table().help());
  for (const auto& name : launcher::launch_flag_table().names()) EXPECT_NE(r.out.find("--" + name), std::string::npos) << name;
}

}  // namespace
}  // namespace tandem::e2e
