// Tokenizers against transformers' fast tokenizers: ids, and model inputs with
// truncation, template and padding, on a multilingual sample, for the real
// all-MiniLM-L6-v2 (tokenizer.json and vocab.txt) and a byte-level BPE trained
// by tests/engine/tokenizer/hf_reference.py (tokenizer.json and vocab.json +
// merges.txt). The Python runs once, with the one the build uses
// (scripts/torch_python.sh's pick); without it or transformers, the tests skip and say why.
#include "engine/tokenizer/load_tokenizer.h"
#include "tests/common/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

namespace tandem {
namespace {

struct Reference {
  TempDir dir;
  nlohmann::json cases;
  std::string skip_reason;  // empty when the cases are there
};

std::string run_capturing(const std::string& command, int& status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) {
    status = -1;
    return out;
  }
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  status = pclose(pipe);
  return out;
}

const Reference& reference() {
  static const std::unique_ptr<Reference> ref = [] {
    auto r = std::make_unique<Reference>();
    int status = 0;
    const std::string python = TANDEM_PYTHON;
    if (python.empty()) {
      r->skip_reason = "the build found no Python with torch (scripts/torch_python.sh)";
      return r;
    }
    const std::string out = run_capturing(python + " " TANDEM_SOURCE_DIR "/tests/engine/tokenizer/hf_reference.py " +
                                              r->dir.path().string() + " 2>&1",
                                          status);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
      r->skip_reason = "hf_reference.py: " + out;
      return r;
    }
    if (status != 0) throw std::runtime_error("hf_reference.py failed: " + out);
    r->cases = nlohmann::json::parse(r->dir.read("cases.json"));
    return r;
  }();
  return *ref;
}

std::vector<int32_t> ints(const nlohmann::json& j) { return j.get<std::vector<int32_t>>(); }

class TokenizerParity : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!reference().skip_reason.empty()) GTEST_SKIP() << reference().skip_reason;
    tokenizer_ = load_tokenizer(reference().dir.file(GetParam()));
    ASSERT_NE(tokenizer_, nullptr) << GetParam() << " has no tokenizer files";
    route_ = reference().cases["routes"][GetParam()];
    max_length_ = reference().cases["max_length"].get<int>();
  }
  std::unique_ptr<Tokenizer> tokenizer_;
  nlohmann::json route_;
  int max_length_ = 0;
};

TEST_P(TokenizerParity, IdsEqualTransformersOnMultilingualText) {
  for (const auto& c : route_["singles"]) {
    const auto text = c["text"].get<std::string>();
    EXPECT_EQ(tokenizer_->encode(text), ints(c["ids"])) << "text: " << text;
  }
}

TEST_P(TokenizerParity, ModelInputsEqualTransformersWithTruncationAndPadding) {
  const EncodeOptions fit{max_length_, true};
  for (const auto& c : route_["singles"]) {
    const auto text = c["text"].get<std::string>();
    const Encoding e = tokenizer_->encode_for_model(text, std::nullopt, fit);
    EXPECT_EQ(e.ids, ints(c["model_ids"])) << "text: " << text;
    EXPECT_EQ(std::vector<int32_t>(e.attention_mask.begin(), e.attention_mask.end()), ints(c["attention_mask"]))
        << "text: " << text;
    EXPECT_EQ(e.type_ids, ints(c["token_type_ids"])) << "text: " << text;
  }
}

// BERT's pair template; GPT-2's has no pair form.
using WordPieceParity = TokenizerParity;
TEST_P(WordPieceParity, PairsEqualTransformersWithLongestFirstTruncation) {
  const EncodeOptions fit{max_length_, true};
  for (const auto& c : route_["pairs"]) {
    const auto a = c["text"].get<std::string>(), b = c["text_pair"].get<std::string>();
    const Encoding e = tokenizer_->encode_for_model(a, std::string_view(b), fit);
    EXPECT_EQ(e.ids, ints(c["model_ids"])) << a << " | " << b;
    EXPECT_EQ(e.type_ids, ints(c["token_type_ids"])) << a << " | " << b;
    EXPECT_EQ(std::vector<int32_t>(e.attention_mask.begin(), e.attention_mask.end()), ints(c["attention_mask"]));
  }
}

// Byte-level BPE decodes exactly (WordPiece drops case and accents).
using ByteLevelParity = TokenizerParity;
TEST_P(ByteLevelParity, DecodeRoundTripsText) {
  for (const auto& c : route_["singles"]) {
    const auto text = c["text"].get<std::string>();
    if (text.find("<|endoftext|>") != std::string::npos) continue;
    EXPECT_EQ(tokenizer_->decode(tokenizer_->encode(text)), text);
  }
}

std::string route_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (auto& ch : name)
    if (ch == '-') ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Routes, TokenizerParity,
                         ::testing::Values("minilm-json", "minilm-vocab", "bpe-json", "bpe-files"), route_name);
INSTANTIATE_TEST_SUITE_P(Routes, WordPieceParity, ::testing::Values("minilm-json", "minilm-vocab"), route_name);
INSTANTIATE_TEST_SUITE_P(Routes, ByteLevelParity, ::testing::Values("bpe-json", "bpe-files"), route_name);

}  // namespace
}  // namespace tandem
