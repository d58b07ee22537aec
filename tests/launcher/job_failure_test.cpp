#include "launcher/supervisor/job_failure.h"

#include <gtest/gtest.h>

#include "launcher/config/json_fields.h"
#include "tests/common/temp_dir.h"

namespace tandem::launcher {
namespace {

JobOutcome failed(int code, std::vector<std::string> tail) {
  JobOutcome outcome;
  outcome.exit_code = code;
  outcome.stderr_tail = std::move(tail);
  return outcome;
}

TEST(JobFailure, TheRanksOwnReportComesFirst) {
  const TempDir dir;
  const auto quiet = dir.path() / "algo-1/output/failure";  // absent
  const auto report = dir.write("algo-2/output/failure", "channel train: /x holds no .txt, .jsonl or .bin file\n");
  EXPECT_EQ(describe_job_failure(failed(1, {"[1,2]<stderr>:other"}), {quiet, report}, 0),
            "channel train: /x holds no .txt, .jsonl or .bin file");
}

TEST(JobFailure, OtherwiseTheLastRankErrorLine) {
  const auto outcome = failed(1, {"[1,mpirank:3,algo-2]<stderr>:Segmentation fault", "[1,mpirank:0,algo-1]<stderr>:  ",
                                  "--------------------------------------------------------------------------",
                                  "mpirun detected that one or more processes exited with non-zero status"});
  EXPECT_EQ(describe_job_failure(outcome, {}, 0), "training exited with status 1: Segmentation fault");
  EXPECT_EQ(describe_job_failure(failed(2, {"mpirun: cannot find ./train", "*****"}), {}, 0),
            "training exited with status 2: mpirun: cannot find ./train");
  EXPECT_EQ(describe_job_failure(failed(137, {}), {}, 0),
            "training exited with status 137 (killed by SIGKILL: out of memory?)");
}

TEST(JobFailure, MaxRun) {
  JobOutcome outcome;
  outcome.stop = StopReason::MaxRun;
  EXPECT_EQ(describe_job_failure(outcome, {}, 60),
            "max_run of 60 s exceeded: the job was stopped after its ranks saved a checkpoint");
  outcome.exit_code = 143;
  EXPECT_EQ(describe_job_failure(outcome, {}, 60), "max_run of 60 s exceeded: the job was stopped, its ranks ending with status 143");
  outcome.killed_after_grace = true;
  EXPECT_EQ(describe_job_failure(outcome, {}, 60),
            "max_run of 60 s exceeded: the job was stopped and killed when its ranks outlived the grace period");
}

TEST(JobFailure, FileHoldsTheFirst1024CharactersAndMayKeepARanksReport) {
  const TempDir dir;
  const auto file = dir.path() / "failure";
  write_failure_file(file, std::string(1500, 'x'));
  EXPECT_EQ(read_text_file(file), std::string(1024, 'x'));
  write_failure_file(file, "new", /*keep_existing=*/true);
  EXPECT_EQ(read_text_file(file), std::string(1024, 'x'));
  write_failure_file(file, "new");
  EXPECT_EQ(read_text_file(file), "new");
}

}  // namespace
}  // namespace tandem::launcher
