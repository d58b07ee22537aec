// Checkpoints under faults, with the real binary: SIGKILL at random moments of
// a run that checkpoints every step, and a file-size limit (ulimit -f) that
// makes a save fail part-way. After either, the newest checkpoint that
// verifies is what a relaunch resumes from, and the relaunch ends exactly
// where an uninterrupted run ends. TANDEM_KILL_TRIALS sets the number of kill
// trials (5 by default, kept small for CI); TANDEM_KILL_SEED the random seed.
#include "engine/checkpoint/checkpoint_manifest.h"
#include "engine/checkpoint/checkpoint_store.h"
#include "tests/e2e/fixtures.h"
#include "tests/e2e/run_tandem.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>

namespace tandem::e2e {
namespace {
namespace fs = std::filesystem;

constexpr int kSteps = 10;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

std::vector<std::string> run_args(const TempDir& dir, const std::string& run, const std::string& out) {
  auto args = tiny_lm_args(dir, run, kSteps);
  args = with_flag(args, "--output_data_dir", dir.file(run + "/" + out));
  args = with_flag(args, "--model_dir", dir.file(run + "/" + out + "-model"));
  args.insert(args.end(), {"--save_steps", "1", "--save_total_limit", "2", "--do_eval", "False"});
  return args;
}

// The newest step whose folder verifies, or 0; nothing is changed on disk.
int newest_verified_step(const std::string& ckpt) {
  const CheckpointStore store(ckpt, -1);
  const auto steps = store.steps();
  for (auto it = steps.rbegin(); it != steps.rend(); ++it)
    if (!checkpoint_problem(store.path(*it))) return *it;
  return 0;
}

// Losses after `from` in the relaunch equal the uninterrupted run's, bit for
// bit as metrics.jsonl prints them, and so does the final model.
void expect_continues_exactly(const TempDir& dir, const std::string& run, const std::string& out, int from) {
  const auto reference = losses_by_step(dir.file("whole/out/metrics.jsonl"));
  const auto resumed = losses_by_step(dir.file(run + "/" + out + "/metrics.jsonl"));
  for (int step = from + 1; step <= kSteps; ++step) {
    ASSERT_TRUE(resumed.count(step)) << "step " << step;
    EXPECT_EQ(resumed.at(step), reference.at(step)) << "step " << step;
  }
  EXPECT_FALSE(resumed.count(from)) << "resumed at " << from;
  EXPECT_TRUE(slurp(dir.file(run + "/" + out + "-model/model.safetensors")) ==
              slurp(dir.file("whole/out-model/model.safetensors")))
      << "the final models differ";
}

TEST(CheckpointFaults, SigkillAtRandomMomentsThenRelaunchContinuesExactly) {
  TempDir dir;
  write_lm_channels(dir);
  const auto whole = run_tandem(run_args(dir, "whole", "out"), dir.path());
  ASSERT_EQ(whole.exit_code, 0) << whole.err;

  const int trials = env_int("TANDEM_KILL_TRIALS", 5);
  const unsigned seed = static_cast<unsigned>(env_int("TANDEM_KILL_SEED", 12345));
  std::mt19937 gen(seed);
  // Kills are placed by the run's own progress, not by the clock, so they land
  // in training on a quiet machine as on a loaded one: wait until checkpoint K
  // (random, 1..kSteps-2) is committed, then a random part of one step (which
  // also writes the next checkpoint) before SIGKILL. Many land mid-save.
  double train_seconds = 0;
  for (const auto& record : read_jsonl(dir.file("whole/out/metrics.jsonl")))
    if (record.contains("train_runtime")) train_seconds = record["train_runtime"].get<double>();
  ASSERT_GT(train_seconds, 0);
  std::uniform_int_distribution<int> after_checkpoint(1, kSteps - 2);
  std::uniform_real_distribution<double> within_step(0.0, train_seconds / kSteps);
  int resumed_runs = 0, killed = 0, mid_save = 0;
  for (int trial = 0; trial < trials; ++trial) {
    const std::string run = "trial" + std::to_string(trial);
    SCOPED_TRACE(run + " (seed " + std::to_string(seed) + ")");
    const std::string committed = dir.file(run + "/ckpt/checkpoint-" + std::to_string(after_checkpoint(gen)));
    char delay[32];
    std::snprintf(delay, sizeof delay, "%.4f", within_step(gen));
    // bash runs tandem in the background, watches for the checkpoint, and
    // exits with tandem's status: 137 when killed, 0 when it finished first.
    const std::string watcher =
        "\"$@\" & pid=$!; while [ ! -d \"$WATCH\" ] && kill -0 $pid 2>/dev/null; do sleep 0.005; done; "
        "sleep \"$DELAY\"; kill -KILL $pid 2>/dev/null; wait $pid";
    std::vector<std::string> argv{"env", "WATCH=" + committed, std::string("DELAY=") + delay, "bash", "-c", watcher,
                                  "kill-after-checkpoint", TANDEM_BINARY};
    const auto args = run_args(dir, run, "out");
    argv.insert(argv.end(), args.begin(), args.end());
    const auto first = run_command(argv, dir.path());
    ASSERT_TRUE(first.exit_code == 137 || first.exit_code == 0) << first.exit_code << " " << first.err;
    if (first.exit_code == 137) ++killed;

    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir.file(run + "/ckpt"), ec))
      if (entry.path().extension() == ".partial") ++mid_save;  // killed while a checkpoint was being written
    const int from = newest_verified_step(dir.file(run + "/ckpt"));
    // Every kill comes after a committed checkpoint, so a killed run always has
    // one to resume: a relaunch from step 0 would pass the loss checks below.
    if (first.exit_code == 137) {
      EXPECT_GT(from, 0) << "killed after " << committed << " yet nothing verifies";
    }
    // A completed run saved its last step: the relaunch has nothing left to train.
    if (from == kSteps) continue;
    const auto again = run_tandem(run_args(dir, run, "out2"), dir.path());
    ASSERT_EQ(again.exit_code, 0) << again.err;
    if (from > 0) {
      ++resumed_runs;
      EXPECT_NE(again.out.find("resumed from " + dir.file(run + "/ckpt/checkpoint-" + std::to_string(from)) +
                               " at step " + std::to_string(from)),
                std::string::npos)
          << again.out;
    } else {
      EXPECT_EQ(again.out.find("resumed from"), std::string::npos) << again.out;
    }
    expect_continues_exactly(dir, run, "out2", from);
    EXPECT_EQ(newest_verified_step(dir.file(run + "/ckpt")), kSteps);
  }
  std::printf("%d trials (seed %u): %d killed mid-run, %d of them while a checkpoint was being written, "
              "%d relaunches resumed from a checkpoint\n",
              trials, seed, killed, mid_save, resumed_runs);
  EXPECT_GT(killed, 0);
}

// A file-size limit a checkpoint's model file cannot fit in: the save at the
// first checkpoint after the limit fails in one line, the run exits 1, and
// the previous checkpoint still verifies and resumes.
TEST(CheckpointFaults, AFileSizeLimitFailsTheSaveInOneLineAndKeepsThePreviousCheckpoint) {
  TempDir dir;
  write_lm_channels(dir);
  auto args = run_args(dir, "whole", "out");
  const auto whole = run_tandem(args, dir.path());
  ASSERT_EQ(whole.exit_code, 0) << whole.err;

  // The whole run, every checkpoint kept; those after step 4 removed, so a
  // relaunch resumes at 4 and writes step 5 under a limit below the optimizer
  // file's size.
  ASSERT_EQ(run_tandem(with_flag(run_args(dir, "full", "out"), "--save_total_limit", "-1"), dir.path()).exit_code, 0);
  for (int step = 5; step <= kSteps; ++step) fs::remove_all(dir.file("full/ckpt/checkpoint-" + std::to_string(step)));
  ASSERT_EQ(newest_verified_step(dir.file("full/ckpt")), 4);
  const auto optimizer_bytes = fs::file_size(dir.file("full/ckpt/checkpoint-4/optimizer.safetensors"));
  // The model file (half the optimizer's) fits; the optimizer file does not.
  const std::string limit_blocks = std::to_string(optimizer_bytes * 3 / 4 / 1024);
  std::vector<std::string> argv{"bash", "-c", "ulimit -f " + limit_blocks + " && exec \"$0\" \"$@\"", TANDEM_BINARY};
  const auto limited_args = run_args(dir, "full", "out-limited");
  argv.insert(argv.end(), limited_args.begin(), limited_args.end());
  // Open MPI's PMIx keeps its shared store in files the limit would also cut
  // short, failing MPI_Init; its hash store keeps the data in memory.
  const auto limited = run_command(argv, dir.path(), {"PMIX_MCA_gds=hash"});
  EXPECT_EQ(limited.exit_code, 1) << limited.err;
  // One line, naming the file that did not fit and why.
  EXPECT_EQ(std::count(limited.err.begin(), limited.err.end(), '\n'), 1) << limited.err;
  EXPECT_EQ(limited.err.rfind("tandem: error: checkpoint at step 5 not saved, the previous one is kept: " +
                                  dir.file("full/ckpt/checkpoint-5.partial/optimizer.safetensors") + ": ",
                              0),
            0u)
      << limited.err;
  EXPECT_NE(limited.err.find("(File too large)"), std::string::npos) << limited.err;
  EXPECT_EQ(newest_verified_step(dir.file("full/ckpt")), 4);
  EXPECT_FALSE(fs::exists(dir.file("full/ckpt/checkpoint-5")));

  const auto again = run_tandem(run_args(dir, "full", "out2"), dir.path());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("at step 4"), std::string::npos) << again.out;
  expect_continues_exactly(dir, "full", "out2", 4);
}

}  // namespace
}  // namespace tandem::e2e
