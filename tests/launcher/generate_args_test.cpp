// `tandem generate`'s command line as pure functions: transformers' defaults
// from the flag table, the required flags, and the ranges the table enforces.
#include "engine/error.h"
#include "launcher/cli/generate_args.h"
#include "tests/common/error_matchers.h"

#include <gtest/gtest.h>

namespace tandem::launcher {
namespace {

TEST(GenerateArgs, DefaultsAreTransformersGenerate) {
  const GenerateArgs d = parse_generate_args({"--model_name_or_path", "m", "--prompt", "Hi"});
  EXPECT_EQ(*d.model_name_or_path, "m");
  EXPECT_EQ(*d.prompt, "Hi");
  EXPECT_FALSE(d.do_sample);  // greedy
  EXPECT_EQ(d.temperature, 1.0);
  EXPECT_EQ(d.top_k, 50);
  EXPECT_TRUE(d.use_cache);
  EXPECT_EQ(d.max_new_tokens, 50);
  EXPECT_FALSE(d.json);
  validate_generate_args(d);

  const GenerateArgs a = parse_generate_args({"--model_name_or_path", "m", "--prompt", "", "--max_new_tokens", "7",
                                              "--do_sample", "True", "--temperature", "0.7", "--top_k", "0", "--seed",
                                              "9", "--use_cache", "False", "--device", "cpu", "--json", "True"});
  EXPECT_EQ(*a.prompt, "");  // given but empty: refused later, when it gives no token
  EXPECT_EQ(a.max_new_tokens, 7);
  EXPECT_TRUE(a.do_sample);
  EXPECT_EQ(a.temperature, 0.7);
  EXPECT_EQ(a.top_k, 0);
  EXPECT_EQ(a.seed, 9);
  EXPECT_FALSE(a.use_cache);
  EXPECT_EQ(a.device, "cpu");
  EXPECT_TRUE(a.json);
}

TEST(GenerateArgs, RequiredFlagsAndRangesAreNamed) {
  EXPECT_ERROR(validate_generate_args(parse_generate_args({"--prompt", "Hi"})), UsageError,
               "tandem generate needs --model_name_or_path");
  EXPECT_ERROR(validate_generate_args(parse_generate_args({"--model_name_or_path", "m"})), UsageError,
               "tandem generate needs --prompt");
  EXPECT_ERROR(parse_generate_args({"--top_k", "-1"}), UsageError, "--top_k: \"-1\" is out of range");
  EXPECT_ERROR(parse_generate_args({"--max_new_tokens", "0"}), UsageError, "--max_new_tokens: \"0\" is out of range");
  EXPECT_ERROR(parse_generate_args({"--temperature", "nan"}), UsageError, "is not a finite number");
  EXPECT_ERROR(parse_generate_args({"--temperature", "-1"}), UsageError, "--temperature: \"-1\" is out of range");
  EXPECT_ERROR(parse_generate_args({"--do_sample", "maybe"}), UsageError, "--do_sample: \"maybe\"");
}

TEST(GenerateArgs, HelpListsEveryFlagOfTheTable) {
  const std::string help = generate_flag_table().help();
  for (const auto& name : generate_flag_table().names()) EXPECT_NE(help.find("  --" + name), std::string::npos) << name;
}

}  // namespace
}  // namespace tandem::launcher
