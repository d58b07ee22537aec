// A GPT whose vocabulary is not a multiple of 64 (300, padded to 320 in
// memory) trains, checkpoints, resumes bit for bit and is saved with its real
// 300 rows, which load back for evaluation with the same result.
#include "engine/checkpoint/safetensors.h"
#include "tests/e2e/fixtures.h"
#include "tests/e2e/run_tandem.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace tandem::e2e {
namespace {
namespace fs = std::filesystem;

std::vector<int64_t> shape_of(const std::string& file, const std::string& tensor) {
  return load_safetensors(file).at(tensor).sizes().vec();
}

double last_eval_loss(const std::string& metrics_path) {
  double loss = -1;
  for (const auto& r : read_jsonl(metrics_path))
    if (r.contains("eval_loss")) loss = r["eval_loss"].get<double>();
  return loss;
}

TEST(VocabPadding, PaddedGptResumesBitwiseAndSavesTheRealVocabulary) {
  TempDir dir;
  write_lm_channels(dir);
  write_gpt_config(dir, "gpt300", 300);
  const std::vector<std::string> args = with_flag(train_args(dir, "run", {dir.file("gpt300"), 8}), "--save_steps", "4");
  auto r = run_tandem(args, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const std::vector<int64_t> real_rows{300, 64};
  EXPECT_EQ(shape_of(dir.file("run/model/model.safetensors"), "transformer.wte.weight"), real_rows);
  EXPECT_EQ(nlohmann::json::parse(slurp(dir.file("run/model/config.json")))["vocab_size"], 300);
  EXPECT_EQ(shape_of(dir.file("run/ckpt/checkpoint-4/model.safetensors"), "transformer.wte.weight"), real_rows);
  EXPECT_EQ(shape_of(dir.file("run/ckpt/checkpoint-4/optimizer.safetensors"), "exp_avg.transformer.wte.weight"), real_rows);

  // Resumed from checkpoint-4's 300-row files into the 320-row parameters.
  fs::remove_all(dir.file("run/ckpt/checkpoint-8"));
  auto again = with_flag(with_flag(args, "--output_data_dir", dir.file("run/out2")), "--model_dir", dir.file("run/model2"));
  r = run_tandem(again, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("at step 4"), std::string::npos) << r.out;
  const auto a = losses_by_step(dir.file("run/out/metrics.jsonl"));
  const auto b = losses_by_step(dir.file("run/out2/metrics.jsonl"));
  for (int step = 5; step <= 8; ++step) EXPECT_EQ(a.at(step), b.at(step)) << "step " << step;
  EXPECT_EQ(slurp(dir.file("run/model/model.safetensors")), slurp(dir.file("run/model2/model.safetensors")));

  // The saved model as a pretrained one: its evaluation equals the run's own final one.
  r = run_tandem({"train", "--model_name_or_path", dir.file("run/model"), "--do_train", "False", "--test_dir",
                  dir.file("data/test"), "--output_data_dir", dir.file("eval/out"), "--output_dir", dir.file("eval/ckpt"),
                  "--block_size", "32", "--num_threads", "1"},
                 dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double trained = last_eval_loss(dir.file("run/out/metrics.jsonl"));
  ASSERT_GT(trained, 0);
  EXPECT_EQ(last_eval_loss(dir.file("eval/out/metrics.jsonl")), trained);
}

}  // namespace
}  // namespace tandem::e2e
