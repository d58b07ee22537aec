// `tandem generate` as a user runs it: on the folder `tandem train` just saved
// it prints the prompt and its continuation and exits 0, the same seed giving
// the same text; every bad input gets one line and exit 2, before any weight
// is read.
#include "tests/e2e/fixtures.h"
#include "tests/e2e/run_tandem.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <ostream>

namespace tandem::e2e {
namespace {
namespace fs = std::filesystem;

// `tandem generate` on DIR/model with `prompt`, 20 new tokens, one thread.
std::vector<std::string> generate_args(const std::string& model, const std::string& prompt) {
  return {"generate", "--model_name_or_path", model, "--prompt", prompt, "--max_new_tokens", "20", "--num_threads", "1"};
}

TEST(Generate, PrintsThePromptAndItsContinuationFromAModelTrainJustSaved) {
  TempDir dir;
  write_lm_channels(dir);
  const auto trained = run_tandem(tiny_lm_args(dir, "run", 4), dir.path());
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  const std::string model = dir.file("run/model"), prompt = "The quick";
  const auto sampled = with_flag(with_flag(generate_args(model, prompt), "--do_sample", "True"), "--seed", "3");
  const auto r = run_tandem(sampled, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_EQ(r.out.rfind(prompt, 0), 0u) << r.out;
  // Bytes in (the byte tokenizer, no end-of-text token): exactly 20 new bytes, then the newline.
  EXPECT_EQ(r.out.size(), prompt.size() + 20 + 1) << r.out;
  EXPECT_EQ(run_tandem(sampled, dir.path()).out, r.out) << "the same seed gives the same text";

  const auto greedy = run_tandem(with_flag(generate_args(model, prompt), "--json", "True"), dir.path());
  ASSERT_EQ(greedy.exit_code, 0) << greedy.err;
  const auto record = nlohmann::json::parse(greedy.out);
  EXPECT_EQ(record["new_tokens"], 20);
  EXPECT_EQ(record["generated_ids"].size(), 20u);
  EXPECT_EQ(record["prompt_ids"].size(), prompt.size());
  EXPECT_FALSE(record["stopped_at_eos"].get<bool>());
  EXPECT_GT(record["tokens_per_second"].get<double>(), 0);
}

TEST(Generate, HelpListsTheFlagsOfItsTable) {
  TempDir dir;
  const auto r = run_tandem({"generate", "--help"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* flag : {"--model_name_or_path", "--prompt", "--max_new_tokens", "--do_sample", "--temperature",
                           "--top_k", "--seed", "--use_cache"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag << " missing from\n" << r.out;
}

struct BadGenerateCase {
  const char* name;
  std::vector<std::string> flags;  // pairs set on a valid command; "@x" is a path in the scratch dir
  const char* message;             // must appear in the single stderr line
  std::function<void(const TempDir&)> prepare = nullptr;
  bool omit_prompt = false;
};

void PrintTo(const BadGenerateCase& c, std::ostream* os) { *os << c.name; }

class BadGenerate : public ::testing::TestWithParam<BadGenerateCase> {};

// Every refusal comes before the weights are read, so the model folder holds
// gpt-tiny's config.json (256 positions) and a placeholder for the weights.
TEST_P(BadGenerate, OneClearLineAndExitTwo) {
  const auto& c = GetParam();
  TempDir scratch;
  write_gpt_config(scratch, "model", 256);
  scratch.write("model/model.safetensors", "never read: every case is refused first");
  if (c.prepare) c.prepare(scratch);
  auto args = generate_args(scratch.file("model"), "The");
  if (c.omit_prompt) args.erase(args.begin() + 3, args.begin() + 5);
  for (size_t i = 0; i + 1 < c.flags.size(); i += 2) {
    std::string value = c.flags[i + 1];
    if (value.rfind("@", 0) == 0) value = scratch.file(value.substr(1));
    args = with_flag(args, c.flags[i], value);
  }
  const auto r = run_tandem(args, scratch.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "stderr: " << r.err;
  EXPECT_EQ(r.err.rfind("tandem: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(c.message), std::string::npos) << "stderr: " << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

void distilbert_folder(const TempDir& d) {
  const nlohmann::json config = {{"model_type", "distilbert"}, {"n_layers", 1}, {"n_heads", 2}, {"dim", 8},
                                 {"hidden_dim", 16}, {"vocab_size", 256}, {"max_position_embeddings", 32}};
  d.write("encoder/config.json", config.dump());
  d.write("encoder/model.safetensors", "never read: the model type is refused first");
}

INSTANTIATE_TEST_SUITE_P(
    Generate, BadGenerate,
    ::testing::Values(
        BadGenerateCase{"MissingFolder", {"--model_name_or_path", "@nowhere"}, "nowhere is not a folder"},
        BadGenerateCase{"PresetWithoutWeights", {"--model_name_or_path", "gpt-mini"}, "gpt-mini is a preset with untrained weights"},
        BadGenerateCase{"FolderWithoutWeights", {"--model_name_or_path", "@bare"}, "has no model.safetensors",
                        [](const TempDir& d) { write_gpt_config(d, "bare", 256); }},
        BadGenerateCase{"EncoderModel", {"--model_name_or_path", "@encoder"},
                        "is a distilbert encoder; tandem generate needs a causal language model (gpt2)", distilbert_folder},
        BadGenerateCase{"PromptAndNewTokensBeyondPositions", {"--prompt", std::string(250, 'a'), "--max_new_tokens", "10"},
                        "--prompt: 250 tokens + --max_new_tokens 10 exceed the 256 positions (n_positions)"},
        BadGenerateCase{"EmptyPrompt", {"--prompt", ""}, "--prompt: the text gives no token"},
        BadGenerateCase{"MissingPrompt", {}, "tandem generate needs --prompt", nullptr, true},
        BadGenerateCase{"ZeroTemperatureWhenSampling", {"--do_sample", "True", "--temperature", "0"},
                        "--temperature: 0 with --do_sample True"},
        BadGenerateCase{"NegativeTemperature", {"--temperature", "-0.5"}, "--temperature: \"-0.5\" is out of range"},
        BadGenerateCase{"NonFiniteTemperature", {"--temperature", "inf"}, "--temperature: \"inf\" is not a finite number"},
        BadGenerateCase{"NegativeTopK", {"--top_k", "-1"}, "--top_k: \"-1\" is out of range"},
        BadGenerateCase{"NoNewTokens", {"--max_new_tokens", "0"}, "--max_new_tokens: \"0\" is out of range"},
        BadGenerateCase{"NotABoolean", {"--do_sample", "yes"}, "--do_sample: \"yes\""}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace tandem::e2e
