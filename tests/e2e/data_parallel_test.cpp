// Data parallelism through mpirun: N ranks train like one process with an
// N-times larger batch (parity per step and in the final parameters).
#include "tests/e2e/fixtures.h"
#include "tests/e2e/parity.h"
#include "tests/e2e/run_tandem.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <dirent.h>
#include <filesystem>
#include <thread>

namespace tandem::e2e {
namespace {
namespace fs = std::filesystem;

std::vector<std::string> lm_args(const TempDir& dir, const std::string& run, int batch,
                                 const std::string& model = "gpt-tiny") {
  return with_flag(train_args(dir, run, {model, 6, 32, batch}), "--save_steps", "0");
}

TEST(DataParallel, TwoAndFourRanksEqualOneProcessWithTheWholeBatch) {
  TempDir dir;
  write_lm_channels(dir);
  ASSERT_EQ(run_tandem(lm_args(dir, "one", 8), dir.path()).exit_code, 0);
  auto two = run_mpi(2, lm_args(dir, "two", 4), dir.path());
  ASSERT_EQ(two.exit_code, 0) << two.err;
  expect_same_training(dir, "one", "two");
  auto four = run_mpi(4, lm_args(dir, "four", 2), dir.path());
  ASSERT_EQ(four.exit_code, 0) << four.err;
  expect_same_training(dir, "one", "four");
  // Only rank 0 logs.
  EXPECT_EQ(std::count(two.out.begin(), two.out.end(), '\n'), std::count(four.out.begin(), four.out.end(), '\n'));
}

TEST(DataParallel, GradientAccumulationEqualsTheLargerBatch) {
  TempDir dir;
  write_lm_channels(dir);
  ASSERT_EQ(run_tandem(lm_args(dir, "one", 8), dir.path()).exit_code, 0);
  auto accum = with_flag(lm_args(dir, "accum", 2), "--gradient_accumulation_steps", "2");
  auto r = run_mpi(2, accum, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_training(dir, "one", "accum");
}

// The encoder families: DistilBERT (the encoder-tiny preset) and BERT (from a config.json).
class DataParallelClassifier : public ::testing::TestWithParam<std::string> {};

TEST_P(DataParallelClassifier, EqualsOneProcess) {
  TempDir dir;
  write_classification_channels(dir);
  write_bert_config(dir, "bert-tiny");
  const std::string model = GetParam() == "bert_tiny" ? dir.file("bert-tiny") : GetParam();
  auto args = [&](const std::string& run, int batch) {
    return with_flag(train_args(dir, run, {model, 6, 16, batch}), "--save_steps", "0");
  };
  ASSERT_EQ(run_tandem(args("one", 8), dir.path()).exit_code, 0);
  auto r = run_mpi(2, args("two", 4), dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_training(dir, "one", "two");
}

INSTANTIATE_TEST_SUITE_P(Families, DataParallelClassifier, ::testing::Values("encoder-tiny", "bert_tiny"),
                         [](const auto& info) { return info.param == "encoder-tiny" ? std::string("distilbert_preset") : info.param; });

TEST(DataParallel, ResumeAtAnotherWorldSize) {
  TempDir dir;
  write_lm_channels(dir);
  ASSERT_EQ(run_tandem(with_flag(lm_args(dir, "run", 8), "--save_steps", "3"), dir.path()).exit_code, 0);
  fs::remove_all(dir.file("run/ckpt/checkpoint-6"));
  auto two = with_flag(lm_args(dir, "run", 4), "--save_steps", "3");
  two = with_flag(with_flag(two, "--output_data_dir", dir.file("run/out2")), "--model_dir", dir.file("run/model2"));
  auto r = run_mpi(2, two, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("at step 3"), std::string::npos);
  auto la = losses_by_step(dir.file("run/out/metrics.jsonl"));
  auto lb = losses_by_step(dir.file("run/out2/metrics.jsonl"));
  for (int step = 4; step <= 6; ++step) EXPECT_NEAR(lb.at(step), la.at(step), kRelTol * la.at(step)) << step;
}

// The pid of the process whose environment has OMPI_COMM_WORLD_RANK=rank and whose
// command line mentions `marker`, or -1.
int find_rank_pid(int rank, const std::string& marker) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = slurp(entry.path().string() + "/cmdline"), environ = slurp(entry.path().string() + "/environ");
    if (cmdline.find(marker) == std::string::npos) continue;
    if (cmdline.find("tandem") == std::string::npos || cmdline.find("mpirun") != std::string::npos) continue;
    const std::string key = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank);
    for (size_t pos = 0; (pos = environ.find(key, pos)) != std::string::npos; pos += key.size())
      if ((pos == 0 || environ[pos - 1] == '\0') && (pos + key.size() == environ.size() || environ[pos + key.size()] == '\0'))
        return std::stoi(name);
  }
  return -1;
}

TEST(DataParallel, AKilledRankEndsTheJobNamingIt) {
  TempDir dir;
  write_lm_channels(dir);
  // Far more steps than the test waits for.
  auto args = with_flag(lm_args(dir, "killed", 4, "gpt-mini"), "--max_steps", "100000");
  std::string cmd = std::string(TANDEM_MPIRUN) + " --oversubscribe --allow-run-as-root -np 2 -x OMP_NUM_THREADS=1 " TANDEM_BINARY;
  for (size_t i = 0; i < args.size(); ++i) cmd += " " + shell_quote(args[i]);
  cmd += " >" + shell_quote(dir.file("out.txt")) + " 2>" + shell_quote(dir.file("err.txt")) + "; echo $? >" +
         shell_quote(dir.file("rc.txt"));
  std::thread job([cmd] { std::system(cmd.c_str()); });
  // Wait for training to be under way (rank 0 has logged step 1), then kill rank 1.
  int pid = -1;
  for (int i = 0; i < 600 && pid < 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (slurp(dir.file("killed/out/metrics.jsonl")).find("\"step\":1") != std::string::npos)
      pid = find_rank_pid(1, dir.file("killed"));
  }
  ASSERT_GT(pid, 0) << "rank 1 was not found";
  const auto t0 = std::chrono::steady_clock::now();
  ::kill(pid, SIGKILL);
  job.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(seconds, 60.0);
  EXPECT_NE(std::stoi(slurp(dir.file("rc.txt"))), 0);
  const std::string err = slurp(dir.file("err.txt"));
  EXPECT_NE(err.find("rank 1"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir.file("killed/model/model.safetensors")));
}

}  // namespace
}  // namespace tandem::e2e
