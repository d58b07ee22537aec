// `tandem launch --local` and its job folder: it holds only what a launch
// made (marked by .tandem-job), a folder it did not make is refused untouched,
// and a job without checkpoint_s3_uri keeps its checkpoints there, so
// launching it again resumes as the stop message promises.
#include "tests/e2e/launch_jobs.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace tandem::e2e {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

TEST(LaunchJobFolder, AFolderNotMadeByALaunchIsRefusedAndLeftAlone) {
  TempDir dir;
  write_lm_channels(dir);
  dir.write("mine/output/notes.txt", "keep me");
  dir.write("mine/checkpoints/precious.bin", "keep me too");
  const auto r = launch({write_job(dir, "job.json", tiny_job(1, 1)), "--job_dir", dir.file("mine")}, dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, "tandem: error: --job_dir " + dir.file("mine") +
                       ": is not empty and was not made by tandem launch (no .tandem-job); choose a new or empty "
                       "folder\n");
  EXPECT_EQ(dir.read("mine/output/notes.txt"), "keep me");
  EXPECT_EQ(dir.read("mine/checkpoints/precious.bin"), "keep me too");
  EXPECT_FALSE(fs::exists(dir.file("mine/.tandem-job")));
}

TEST(LaunchJobFolder, WithoutCheckpointS3UriARelaunchResumesFromTheJobFolder) {
  TempDir dir;
  write_lm_channels(dir);
  json job = tiny_job(1, 2, 4);
  job["hyperparameters"]["save_steps"] = 2;
  const auto first = launch({write_job(dir, "job.json", job), "--job_dir", dir.file("jobdir")}, dir);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(fs::exists(dir.file("jobdir/.tandem-job")));
  EXPECT_TRUE(fs::exists(dir.file("jobdir/checkpoints/checkpoint-4/manifest.json")));

  // The same job, longer: the second launch keeps the folder's checkpoints and resumes.
  job["hyperparameters"]["max_steps"] = 6;
  const auto again = launch({write_job(dir, "job.json", job), "--job_dir", dir.file("jobdir")}, dir);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  // The host's /opt/ml/checkpoints, linked to the job folder's checkpoints/.
  EXPECT_NE(again.out.find("<stdout>:resumed from " + dir.file("jobdir/algo-1/checkpoints/checkpoint-4") + " at step 4"),
            std::string::npos)
      << again.out;
  EXPECT_TRUE(fs::exists(dir.file("jobdir/checkpoints/checkpoint-6/manifest.json")));
}

}  // namespace
}  // namespace tandem::e2e
