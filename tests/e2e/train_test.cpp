// `tandem train` in one process, as a user runs it.
#include "tests/e2e/fixtures.h"
#include "tests/e2e/run_tandem.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace tandem::e2e {
namespace {
namespace fs = std::filesystem;

TEST(Train, FortunesLossFallsWellBelowItsStart) {
  const std::string fortunes = "/usr/share/games/fortunes";
  if (!fs::exists(fortunes)) GTEST_SKIP() << fortunes << " is missing: run scripts/setup.sh (package fortunes)";
  TempDir dir;
  ASSERT_EQ(std::system(("bash " TANDEM_SOURCE_DIR "/examples/prepare_fortunes.sh " + dir.file("data") + " >/dev/null").c_str()), 0);
  auto r = run_tandem({"train", "--training_dir", dir.file("data/train"), "--test_dir", dir.file("data/test"),
                       "--model_dir", dir.file("model"), "--output_dir", dir.file("ckpt"), "--output_data_dir", dir.file("out"),
                       "--max_steps", "150", "--learning_rate", "0.003", "--warmup_steps", "10", "--block_size", "64",
                       "--per_device_train_batch_size", "8", "--logging_steps", "10", "--num_threads", "1"},
                      dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto losses = losses_by_step(dir.file("out/metrics.jsonl"));
  ASSERT_TRUE(losses.count(1) && losses.count(150));
  // Uniform over 256 bytes is ln 256 = 5.55; English text under a byte model quickly gets below 3.
  EXPECT_GT(losses[1], 5.0);
  EXPECT_LT(losses[150], 3.0) << "loss at step 150: " << losses[150];
  EXPECT_NE(r.out.find("eval_loss = "), std::string::npos);
  EXPECT_TRUE(fs::exists(dir.file("model/model.safetensors")));
  EXPECT_TRUE(fs::exists(dir.file("model/config.json")));
}

TEST(Train, ResumedRunEqualsUninterruptedBitwise) {
  TempDir dir;
  write_lm_channels(dir);
  auto args = tiny_lm_args(dir, "run", 12);
  args.insert(args.end(), {"--save_steps", "6"});
  ASSERT_EQ(run_tandem(args, dir.path()).exit_code, 0);

  // A spot restart after step 6: the job starts again with the same command
  // and finds checkpoint-6 as the newest checkpoint.
  fs::remove_all(dir.file("run/ckpt/checkpoint-12"));
  auto again = args;
  again.insert(again.end(), {"--output_data_dir", dir.file("run/out2"), "--model_dir", dir.file("run/model2")});
  auto r = run_tandem(again, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("resumed from " + dir.file("run/ckpt/checkpoint-6") + " at step 6"), std::string::npos) << r.out;

  auto a = losses_by_step(dir.file("run/out/metrics.jsonl"));
  auto b = losses_by_step(dir.file("run/out2/metrics.jsonl"));
  EXPECT_EQ(b.count(6), 0u);  // nothing before the checkpoint is redone
  for (int step = 7; step <= 12; ++step) EXPECT_EQ(a.at(step), b.at(step)) << "step " << step;
  EXPECT_EQ(slurp(dir.file("run/model/model.safetensors")), slurp(dir.file("run/model2/model.safetensors")));
}

TEST(Train, SaveTotalLimitKeepsTheNewest) {
  TempDir dir;
  write_lm_channels(dir);
  auto args = tiny_lm_args(dir, "run", 8);
  args.insert(args.end(), {"--save_steps", "2", "--save_total_limit", "2"});
  ASSERT_EQ(run_tandem(args, dir.path()).exit_code, 0);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.file("run/ckpt"))) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"checkpoint-6", "checkpoint-8"}));
}

TEST(Train, ClassifierLearnsAndSavesItsLabels) {
  TempDir dir;
  write_classification_channels(dir);
  auto r = run_tandem(with_flag(train_args(dir, "run", {"encoder-tiny", 0, 24, 8}), "--epochs", "6"), dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto records = read_jsonl(dir.file("run/out/metrics.jsonl"));
  ASSERT_TRUE(records.back().contains("eval_accuracy"));
  EXPECT_GE(records.back()["eval_accuracy"].get<double>(), 0.9);
  auto config = nlohmann::json::parse(slurp(dir.file("run/model/config.json")));
  EXPECT_EQ(config["id2label"]["0"], "negative");
  EXPECT_EQ(config["id2label"]["1"], "positive");

  // do_train False evaluates the saved model and gets the same accuracy.
  auto eval = run_tandem({"train", "--model_name_or_path", dir.file("run/model"), "--do_train", "False", "--test_dir",
                          dir.file("data/test"), "--output_data_dir", dir.file("out2"), "--block_size", "24",
                          "--output_dir", dir.file("ckpt2")},
                         dir.path());
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  auto again = read_jsonl(dir.file("out2/metrics.jsonl"));
  EXPECT_EQ(again.back()["eval_accuracy"], records.back()["eval_accuracy"]);
}

TEST(Train, HelpListsFlagsWithDefaults) {
  TempDir dir;
  auto r = run_tandem({"train", "--help"}, dir.path());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--per_device_train_batch_size, --train-batch-size, --train_batch_size <int>"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("(default: 0.00005)"), std::string::npos);
}

}  // namespace
}  // namespace tandem::e2e
