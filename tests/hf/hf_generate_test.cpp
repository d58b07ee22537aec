// `tandem generate` against transformers' generate(): a small random GPT-2
// with a byte-level BPE tokenizer, made by tests/hf/hf_reference.py, gives in
// tandem the prompt ids of transformers' tokenizer and, greedily, the ids of
// model.generate(do_sample=False, max_new_tokens=N), with and without the KV
// cache. Skipped, saying why, where the Python lacks transformers.
#include "tests/common/temp_dir.h"
#include "tests/e2e/run_tandem.h"
#include "tests/hf/reference_runner.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

TEST(HfGenerate, GreedyIdsEqualTransformersGenerate) {
  TempDir dir;
  RUN_REFERENCE_OR_SKIP(made, (std::vector<std::string>{"generate", dir.path().string(), "--max_new_tokens", "12"}),
                        dir);
  const auto reference = nlohmann::json::parse(e2e::slurp(dir.file("generate.json")));
  const std::string model = dir.file("model");
  ASSERT_FALSE(reference["cases"].empty());
  for (const auto& c : reference["cases"]) {
    const std::string prompt = c["prompt"].get<std::string>();
    for (const char* use_cache : {"True", "False"}) {
      SCOPED_TRACE("prompt \"" + prompt + "\", --use_cache " + use_cache);
      const auto r = e2e::run_tandem({"generate", "--model_name_or_path", model, "--prompt", prompt, "--max_new_tokens",
                                      reference["max_new_tokens"].dump(), "--do_sample", "False", "--use_cache",
                                      use_cache, "--json", "True", "--num_threads", "1"},
                                     dir.path().string());
      ASSERT_EQ(r.exit_code, 0) << r.err;
      const auto out = nlohmann::json::parse(r.out);
      EXPECT_EQ(out["prompt_ids"], c["prompt_ids"]) << "tokenizer";
      EXPECT_EQ(out["generated_ids"], c["generated_ids"]) << "greedy continuation";
      const bool eos = !c["generated_ids"].empty() && c["generated_ids"].back() == reference["eos_token_id"];
      EXPECT_EQ(out["stopped_at_eos"].get<bool>(), eos);
      EXPECT_EQ(out["text"].get<std::string>().rfind(prompt, 0), 0u) << "the text starts with the prompt";
    }
  }
}

}  // namespace
}  // namespace tandem
