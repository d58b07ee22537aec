// Ranks that genuinely differ, started as Open MPI's MPMD form
// (`mpirun -np 1 tandem train A : -np 1 tandem train B`): a different
// training file behind the same arguments, a bad flag on rank 1 only, a
// different seed. Each ends at the agreement before the first step with one
// line naming what differs and the ranks, printed once, and every rank's exit
// code; in seconds, never at the 300 s communication timeout.
#include "tests/e2e/fixtures.h"
#include "tests/e2e/run_tandem.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

namespace tandem::e2e {
namespace {
namespace fs = std::filesystem;

// Far below the communication timeout (300 s) a hang would reach, with room for a loaded machine.
constexpr auto kQuick = std::chrono::seconds(60);

struct RankCommand {
  std::vector<std::string> args;  // after the binary: "train", flags...
  std::vector<std::string> env;   // NAME=value for this rank only
};

struct TimedRun {
  RunResult result;
  std::chrono::steady_clock::duration wall;
};

// One app context per rank; `env NAME=value` gives a rank its own environment.
TimedRun run_mpmd(const std::vector<RankCommand>& ranks, const TempDir& dir) {
  std::vector<std::string> argv{TANDEM_MPIRUN, "--oversubscribe", "--allow-run-as-root"};
  for (size_t r = 0; r < ranks.size(); ++r) {
    if (r) argv.push_back(":");
    argv.insert(argv.end(), {"-np", "1", "-x", "OMP_NUM_THREADS=1", "env"});
    argv.insert(argv.end(), ranks[r].env.begin(), ranks[r].env.end());
    argv.push_back(TANDEM_BINARY);
    argv.insert(argv.end(), ranks[r].args.begin(), ranks[r].args.end());
  }
  const auto t0 = std::chrono::steady_clock::now();
  RunResult result = run_command(argv, dir.path());
  return {std::move(result), std::chrono::steady_clock::now() - t0};
}

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = 0; (pos = text.find(what, pos)) != std::string::npos; pos += what.size()) ++n;
  return n;
}

// The error line every rank agreed on, once, and nothing trained or saved.
void expect_one_line(const TimedRun& run, const TempDir& dir, const std::string& line) {
  EXPECT_LT(run.wall, kQuick) << "ranks waited instead of leaving together";
  EXPECT_EQ(occurrences(run.result.err, "tandem: error: "), 1u) << run.result.err;
  EXPECT_NE(run.result.err.find("tandem: error: " + line + "\n"), std::string::npos) << run.result.err;
  EXPECT_EQ(run.result.out.find("training "), std::string::npos) << run.result.out;
  EXPECT_FALSE(fs::exists(dir.file("run/model/model.safetensors")));
}

std::vector<std::string> without_flag(std::vector<std::string> args, const std::string& flag) {
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == flag) {
      args.erase(args.begin() + i, args.begin() + i + 2);
      break;
    }
  return args;
}

// On SageMaker every host reads its channel at the same path; with S3's
// ShardedByS3Key the files behind it differ. Same arguments, other steps.
TEST(RankAgreement, ADifferentTrainingFileOnOneRankStopsBothWithTheStepsNamed) {
  TempDir dir;
  write_lm_channels(dir);
  dir.write("data/shard/a.txt", tiny_corpus(10));
  const auto args = with_flag(without_flag(train_args(dir, "run", {"gpt-tiny", 0}), "--training_dir"), "--epochs", "1");
  const auto run = run_mpmd({{args, {"SM_CHANNEL_TRAIN=" + dir.file("data/train")}},
                             {args, {"SM_CHANNEL_TRAIN=" + dir.file("data/shard")}}},
                            dir);
  EXPECT_EQ(run.result.exit_code, 1) << run.result.err;
  const std::string& err = run.result.err;
  const auto at = err.find("tandem: error: ranks disagree on training steps: rank 0 has ");
  ASSERT_NE(at, std::string::npos) << err;
  const std::string line = err.substr(at + 15, err.find('\n', at) - at - 15);
  int steps0 = 0, steps1 = 0;
  ASSERT_EQ(std::sscanf(line.c_str(), "ranks disagree on training steps: rank 0 has %d, rank 1 has %d", &steps0, &steps1), 2)
      << line;
  EXPECT_GT(steps0, steps1);
  expect_one_line(run, dir, "ranks disagree on training steps: rank 0 has " + std::to_string(steps0) + ", rank 1 has " +
                                std::to_string(steps1) + " (each rank must read the same dataset)");
}

TEST(RankAgreement, ABadFlagOnRank1OnlyIsPrintedOnceWithItsRankAndEveryRankExits2) {
  TempDir dir;
  write_lm_channels(dir);
  const auto args = train_args(dir, "run");
  const auto run = run_mpmd({{args, {}}, {with_flag(args, "--learning_rate", "fast"), {}}}, dir);
  EXPECT_EQ(run.result.exit_code, 2) << run.result.err;
  const auto at = run.result.err.find("tandem: error: rank 1 (host ");
  EXPECT_NE(run.result.err.find("): --learning_rate: ", at), std::string::npos) << run.result.err;
  ASSERT_NE(at, std::string::npos) << run.result.err;
  expect_one_line(run, dir, run.result.err.substr(at + 15, run.result.err.find('\n', at) - at - 15));
  EXPECT_NE(run.result.err.find("\"fast\""), std::string::npos) << run.result.err;
}

TEST(RankAgreement, ADifferentSeedOnRank1IsNamedWithBothValues) {
  TempDir dir;
  write_lm_channels(dir);
  const auto args = with_flag(train_args(dir, "run"), "--seed", "42");
  const auto run = run_mpmd({{args, {}}, {with_flag(args, "--seed", "7"), {}}}, dir);
  EXPECT_EQ(run.result.exit_code, 1) << run.result.err;
  expect_one_line(run, dir,
                  "ranks disagree on arguments: rank 0 has \"--seed 42\", rank 1 has \"--seed 7\" (every rank must "
                  "be started with the same arguments)");
}

}  // namespace
}  // namespace tandem::e2e
