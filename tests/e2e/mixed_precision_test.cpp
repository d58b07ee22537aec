// Mixed precision as a user runs it: bf16 on the CPU tracks float32, and
// float16's loss scale reacts to an overflow on one rank on every rank and
// survives a resume.
#include "tests/e2e/fixtures.h"
#include "tests/e2e/run_tandem.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace tandem::e2e {
namespace {
namespace fs = std::filesystem;

std::vector<std::string> lm_args(const TempDir& dir, const std::string& run, int steps) {
  return with_flag(tiny_lm_args(dir, run, steps), "--device", "cpu");
}

std::map<int, nlohmann::json> records_by_step(const std::string& metrics_path) {
  std::map<int, nlohmann::json> out;
  for (const auto& r : read_jsonl(metrics_path))
    if (r.contains("loss")) out[r["step"].get<int>()] = r;
  return out;
}

TEST(MixedPrecision, Bf16OnTheCpuTracksFloat32Losses) {
  TempDir dir;
  write_lm_channels(dir);
  ASSERT_EQ(run_tandem(lm_args(dir, "fp32", 20), dir.path()).exit_code, 0);
  auto r = run_tandem(with_flag(lm_args(dir, "bf16", 20), "--bf16", "True"), dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto fp32 = losses_by_step(dir.file("fp32/out/metrics.jsonl"));
  const auto bf16 = losses_by_step(dir.file("bf16/out/metrics.jsonl"));
  ASSERT_EQ(fp32.size(), bf16.size());
  // bf16 carries 8 significant bits: per-step losses within 2% of float32,
  // and training still makes the same progress.
  for (const auto& [step, loss] : fp32) EXPECT_NEAR(bf16.at(step), loss, 0.02 * loss) << "step " << step;
  EXPECT_LT(bf16.at(20), bf16.at(1) - 0.5);
  EXPECT_NE(slurp(dir.file("fp32/model/model.safetensors")), slurp(dir.file("bf16/model/model.safetensors")));
}

TEST(MixedPrecision, Fp16OverflowOnOneRankSkipsTheStepOnEveryRank) {
  TempDir dir;
  write_lm_channels(dir);
  // Rank 1 alone gets an inf gradient at step 3: rank 0, which logs, must skip too.
  auto r = run_mpi(2, with_flag(lm_args(dir, "run", 5), "--fp16", "True"), dir.path(),
                   {"TANDEM_INJECT_NONFINITE_GRAD=1:3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto records = records_by_step(dir.file("run/out/metrics.jsonl"));
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records.at(2)["loss_scale"].get<double>(), 65536.0);
  EXPECT_EQ(records.at(2)["skipped_steps"].get<double>(), 0.0);
  EXPECT_EQ(records.at(3)["skipped_steps"].get<double>(), 1.0);
  EXPECT_EQ(records.at(3)["loss_scale"].get<double>(), 32768.0);  // backed off by half
  EXPECT_EQ(records.at(4)["loss_scale"].get<double>(), 32768.0);
  EXPECT_NE(r.out.find("skipped_steps = 1"), std::string::npos) << r.out;  // the run's summary
}

TEST(MixedPrecision, Fp16ResumeRestoresTheLossScale) {
  TempDir dir;
  write_lm_channels(dir);
  auto args = with_flag(lm_args(dir, "run", 6), "--fp16", "True");
  args.insert(args.end(), {"--save_steps", "3"});
  // An overflow at step 2 halves the scale before the checkpoint at step 3.
  ASSERT_EQ(run_tandem(args, dir.path(), {"TANDEM_INJECT_NONFINITE_GRAD=0:2"}).exit_code, 0);
  fs::remove_all(dir.file("run/ckpt/checkpoint-6"));
  auto again = with_flag(with_flag(args, "--output_data_dir", dir.file("run/out2")), "--model_dir", dir.file("run/model2"));
  auto r = run_tandem(again, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("at step 3"), std::string::npos) << r.out;
  auto first = records_by_step(dir.file("run/out/metrics.jsonl"));
  auto resumed = records_by_step(dir.file("run/out2/metrics.jsonl"));
  for (int step = 4; step <= 6; ++step) {
    EXPECT_EQ(resumed.at(step)["loss_scale"].get<double>(), 32768.0) << "step " << step;
    EXPECT_EQ(resumed.at(step)["loss"].get<double>(), first.at(step)["loss"].get<double>()) << "step " << step;
  }
  EXPECT_EQ(slurp(dir.file("run/model/model.safetensors")), slurp(dir.file("run/model2/model.safetensors")));
}

}  // namespace
}  // namespace tandem::e2e
