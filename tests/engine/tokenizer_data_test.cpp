// The data path with a model directory's tokenizer: classification inputs get
// BERT's template, padding, attention mask and token type ids; an LM stream
// ends each document with GPT-2's end-of-text token. Tiny hand-written
// vocabularies, so the expected ids are known exactly.
#include "engine/data/dataset.h"
#include "engine/error.h"
#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/load_tokenizer.h"
#include "tests/common/temp_dir.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

// [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 hello=4 world=5 ##s=6 !=7
const char* kBertVocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\nworld\n##s\n!\n";

TEST(TokenizerData, WordPieceFromVocabTxtSplitsLowercasesAndMarksUnknowns) {
  TempDir dir;
  dir.write("model/vocab.txt", kBertVocab);
  const auto tok = load_tokenizer(dir.file("model"));
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->encode("HÉLLO worlds! xyz"), (std::vector<int32_t>{4, 5, 6, 7, 1}));
}

TEST(TokenizerData, ClassificationBatchCarriesTemplateMaskAndTypeIds) {
  TempDir dir;
  dir.write("model/vocab.txt", kBertVocab);
  dir.write("train/a.jsonl", "{\"text\": \"hello world\", \"label\": 1}\n"
                             "{\"text\": \"hello\", \"text_pair\": \"worlds\", \"label\": 0}\n");
  std::vector<std::string> labels;
  int num_labels = 2;
  const auto tok = load_tokenizer(dir.file("model"));
  auto ds = make_classification_dataset("train", dir.file("train"), 7, labels, num_labels, 8, *tok);
  const Batch b = ds->make_batch({0, 1});
  EXPECT_TRUE(torch::equal(b.input_ids, torch::tensor({{2, 4, 5, 3, 0, 0, 0}, {2, 4, 3, 5, 6, 3, 0}}, torch::kLong)));
  EXPECT_TRUE(torch::equal(b.token_type_ids, torch::tensor({{0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 1, 1, 1, 0}}, torch::kLong)));
  EXPECT_TRUE(torch::equal(b.attention_mask,
                           torch::tensor({{1, 1, 1, 1, 0, 0, 0}, {1, 1, 1, 1, 1, 1, 0}}, torch::kLong).to(torch::kBool)));
}

TEST(TokenizerData, TokenizerLargerThanTheModelVocabularyIsRefused) {
  TempDir dir;
  dir.write("model/vocab.txt", kBertVocab);
  dir.write("train/a.jsonl", "{\"text\": \"hello\", \"label\": 1}\n");
  std::vector<std::string> labels;
  int n = 2;
  try {
    make_classification_dataset("train", dir.file("train"), 4, labels, n, 5, *load_tokenizer(dir.file("model")));
    FAIL();
  } catch (const RuntimeFailure& e) {
    EXPECT_EQ(std::string(e.what()), "channel train: the WordPiece tokenizer has 8 tokens; the model's vocabulary holds 5");
  }
}

TEST(TokenizerData, LmStreamEndsEachDocumentWithEndOfText) {
  TempDir dir;
  // Byte characters for 'a', 'b', 'Ġ' (space); one merge "a b" -> "ab".
  dir.write("model/vocab.json", "{\"<|endoftext|>\": 0, \"a\": 1, \"b\": 2, \"ab\": 3, \"\\u0120\": 4}");
  dir.write("model/merges.txt", "#version: 0.2\na b\n");
  dir.write("train/1.txt", "ab");
  dir.write("train/2.jsonl", "{\"text\": \"ba ab\"}\n");
  const auto tok = load_tokenizer(dir.file("model"));
  ASSERT_EQ(tok->eos_id(), 0);
  auto ds = make_lm_dataset("train", dir.file("train"), 6, 8, *tok);
  // "ab" <eos> "b" "a" " " "ab"... : 3 0 2 1 4 3 0
  const Batch b = ds->make_batch({0});
  EXPECT_TRUE(torch::equal(b.input_ids, torch::tensor({{3, 0, 2, 1, 4, 3}}, torch::kLong)));
  EXPECT_TRUE(torch::equal(b.targets, torch::tensor({{0, 2, 1, 4, 3, 0}}, torch::kLong)));
}

TEST(TokenizerData, UnsupportedTokenizerJsonIsNamed) {
  TempDir dir;
  dir.write("model/tokenizer.json", "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}");
  try {
    load_tokenizer(dir.file("model"));
    FAIL();
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.json: model.type Unigram is not supported"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace tandem
