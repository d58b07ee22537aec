// Every bad input: one line on stderr naming the input, exit 2 (usage) or 1
// (runtime), no stack trace, and nothing half-written left behind.
#include "tests/e2e/fixtures.h"
#include "tests/e2e/run_tandem.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <ostream>

namespace tandem::e2e {
namespace {
namespace fs = std::filesystem;

struct BadInputCase {
  const char* name;
  std::vector<std::string> extra_args;  // appended to a valid tiny run
  int exit_code;
  const char* message;  // must appear in the single stderr line
  std::function<void(const TempDir&)> prepare = nullptr;
};

void PrintTo(const BadInputCase& c, std::ostream* os) { *os << c.name; }

class BadInput : public ::testing::TestWithParam<BadInputCase> {};

TEST_P(BadInput, OneClearLineAndTheRightExitCode) {
  const auto& c = GetParam();
  TempDir dir;
  write_lm_channels(dir);
  if (c.prepare) c.prepare(dir);
  fs::create_directories(dir.file("sm_output"));
  std::vector<std::string> args{"train", "--training_dir", dir.file("data/train"), "--test_dir", dir.file("data/test"),
                                "--model_dir", dir.file("model"), "--output_dir", dir.file("ckpt"),
                                "--output_data_dir", dir.file("out"), "--max_steps", "2", "--block_size", "16",
                                "--save_steps", "1", "--num_threads", "1"};
  for (auto& a : c.extra_args) {
    std::string v = a;
    if (v.rfind("@", 0) == 0) v = dir.file(v.substr(1));  // @path: inside the scratch dir
    args.push_back(v);
  }
  auto r = run_tandem(args, dir.path(), {"SM_OUTPUT_DIR=" + dir.file("sm_output")});
  EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "stderr: " << r.err;
  EXPECT_EQ(r.err.rfind("tandem: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(c.message), std::string::npos) << "stderr: " << r.err;
  // The same message goes to the SageMaker failure file.
  EXPECT_NE(slurp(dir.file("sm_output/failure")).find(c.message), std::string::npos);
  // Nothing was trained or saved.
  EXPECT_FALSE(fs::exists(dir.file("model/model.safetensors")));
  EXPECT_FALSE(fs::exists(dir.file("ckpt")) && !fs::is_empty(dir.file("ckpt")));
}

INSTANTIATE_TEST_SUITE_P(
    Train, BadInput,
    ::testing::Values(
        // Usage errors that need no file are pure-function rows in tests/engine/train_args_test.cpp;
        // these two check the binary's side: one refused while parsing, one by validate_train_args().
        BadInputCase{"UnknownHyperparameter", {"--learning_rte", "0.1"}, 2, "unknown hyperparameter --learning_rte"},
        BadInputCase{"BlockSizeAboveMaxPosition", {"--block_size", "4096"}, 2,
                     "--block_size 4096 exceeds max_position 256 of model gpt-tiny"},
        BadInputCase{"BatchDoesNotFit", {"--per_device_train_batch_size", "100000"}, 2,
                     "the global batch of 100000 examples does not fit"},
        BadInputCase{"UnknownModel", {"--model_name_or_path", "gpt-huge"}, 2, "unknown preset \"gpt-huge\""},
        BadInputCase{"MissingChannel", {"--training_dir", "@nowhere"}, 1, "channel train: "},
        BadInputCase{"EmptyChannel", {"--training_dir", "@empty"}, 1, "holds no .txt, .jsonl or .bin file",
                     [](const TempDir& d) { fs::create_directories(d.file("empty")); }},
        BadInputCase{"MalformedJsonLine", {"--training_dir", "@bad"}, 1, "d.jsonl:2: not valid JSON",
                     [](const TempDir& d) { d.write("bad/d.jsonl", "{\"text\": \"fine\"}\n{broken\n"); }},
        BadInputCase{"ShardWithWrongMagic", {"--training_dir", "@shard"}, 1, "bad magic",
                     [](const TempDir& d) { d.write("shard/x.bin", std::string(2048, '\1')); }},
        BadInputCase{"UnreadableModelConfig", {"--model_name_or_path", "@m"}, 2, "config.json: not valid JSON",
                     [](const TempDir& d) { d.write("m/config.json", "{not json"); }},
        BadInputCase{"TaskDoesNotFitModel", {"--task", "classification"}, 2, "does not fit model gpt-tiny"},
        BadInputCase{"Bf16AndFp16", {"--bf16", "True", "--fp16", "True"}, 2, "choose one mixed precision"},
        // An int conversion out of range was undefined: 0 steps, an untrained model, exit 0.
        BadInputCase{"EpochsBeyondAnyStepCount", {"--max_steps", "-1", "--epochs", "1e12"}, 2,
                     "--epochs 1e+12: makes "}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(BadInputKeepsCheckpoints, FailureAfterACheckpointLeavesItIntact) {
  TempDir dir;
  write_lm_channels(dir);
  std::vector<std::string> args{"train", "--training_dir", dir.file("data/train"), "--test_dir", dir.file("data/test"),
                                "--model_dir", dir.file("model"), "--output_dir", dir.file("ckpt"),
                                "--output_data_dir", dir.file("out"), "--max_steps", "2", "--block_size", "16",
                                "--save_steps", "2", "--num_threads", "1"};
  ASSERT_EQ(run_tandem(args, dir.path()).exit_code, 0);
  const std::string before = slurp(dir.file("ckpt/checkpoint-2/model.safetensors"));
  // Resuming a checkpoint with another model is refused and touches nothing.
  args.insert(args.end(), {"--model_name_or_path", "gpt-mini"});
  auto r = run_tandem(args, dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot resume, model differs (checkpoint gpt-tiny, this run gpt-mini)"), std::string::npos)
      << r.err;
  EXPECT_EQ(slurp(dir.file("ckpt/checkpoint-2/model.safetensors")), before);
}

}  // namespace
}  // namespace tandem::e2e
