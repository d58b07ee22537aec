// Tokenizer, channel readers and the batch order on edge cases.
#include "engine/data/batch_order.h"
#include "engine/data/channel.h"
#include "engine/data/dataset.h"
#include "engine/error.h"
#include "engine/tokenizer/byte_tokenizer.h"
#include "tests/common/temp_dir.h"

#include <gtest/gtest.h>

#include <set>

namespace tandem {
namespace {

TEST(ByteTokenizer, RoundTripsMultiByteUtf8) {
  ByteTokenizer tok;
  const std::string text = "naïve café — 日本語 🚀";
  auto ids = tok.encode(text);
  EXPECT_EQ(ids.size(), text.size());  // bytes, not code points
  EXPECT_EQ(tok.decode(ids), text);
  for (auto id : ids) EXPECT_LT(id, ByteTokenizer::kVocabSize);
}

TEST(LmDataset, ConcatenatesFilesInNameOrderWithoutTrailingNewline) {
  TempDir dir;
  dir.write("b.txt", "DEF");       // no trailing newline
  dir.write("a.txt", "abc\n\n");   // empty line kept as bytes
  auto ds = make_lm_dataset("train", dir.path(), 2, 256, ByteTokenizer());
  // stream "abc\n\nDEF" (8 tokens): blocks of 2+1 -> (8-1)/2 = 3 examples
  ASSERT_EQ(ds->size(), 3u);
  auto b = ds->make_batch({0, 2});
  EXPECT_EQ(b.input_ids[0][0].item<int64_t>(), 'a');
  EXPECT_EQ(b.targets[0][1].item<int64_t>(), 'c');
  EXPECT_EQ(b.input_ids[1][0].item<int64_t>(), '\n');
  EXPECT_EQ(b.input_ids[1][1].item<int64_t>(), 'D');
  EXPECT_EQ(b.targets[1][1].item<int64_t>(), 'E');
}

TEST(LmDataset, ReadsTokenShards) {
  TempDir dir;
  write_token_shard(dir.file("x.bin"), {1, 2, 3, 4, 5});
  auto ds = make_lm_dataset("train", dir.path(), 2, 256, ByteTokenizer());
  ASSERT_EQ(ds->size(), 2u);
  EXPECT_EQ(ds->make_batch({1}).targets[0][1].item<int64_t>(), 5);
}

TEST(LmDataset, RejectsShardWithWrongMagic) {
  TempDir dir;
  std::string bad(1024 + 4, '\0');
  bad[0] = 7;
  dir.write("bad.bin", bad);
  try {
    make_lm_dataset("train", dir.path(), 2, 256, ByteTokenizer());
    FAIL() << "no error";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("bad.bin: bad magic 7 (expected 20240520"), std::string::npos) << e.what();
  }
}

TEST(LmDataset, RejectsTruncatedShardAndOutOfVocabularyTokens) {
  TempDir dir;
  write_token_shard(dir.file("t.bin"), {1, 2, 3, 4});
  std::string content = dir.read("t.bin");
  dir.write("t.bin", content.substr(0, content.size() - 2));
  EXPECT_THROW(make_lm_dataset("train", dir.path(), 2, 256, ByteTokenizer()), RuntimeFailure);
  TempDir dir2;
  write_token_shard(dir2.file("v.bin"), {1, 300, 3, 4});
  EXPECT_THROW(make_lm_dataset("train", dir2.path(), 2, 256, ByteTokenizer()), RuntimeFailure);
}

TEST(Channel, MissingEmptyAndTooSmallChannelsNameTheChannel) {
  TempDir dir;
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const RuntimeFailure& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] { make_lm_dataset("train", dir.file("nope"), 4, 256, ByteTokenizer()); }).find("channel train: "),
            std::string::npos);
  EXPECT_NE(message([&] { make_lm_dataset("test", dir.path(), 4, 256, ByteTokenizer()); }).find("holds no .txt, .jsonl or .bin"),
            std::string::npos);
  dir.write("short.txt", "abc");
  EXPECT_NE(message([&] { make_lm_dataset("train", dir.path(), 4, 256, ByteTokenizer()); }).find("fewer than one block"),
            std::string::npos);
}

TEST(Classification, MapsStringLabelsInSortedOrderAndPads) {
  TempDir dir;
  dir.write("d.jsonl", "{\"text\": \"good\", \"label\": \"pos\"}\n\n{\"text\": \"bad\", \"label\": \"neg\"}\n"
                       "{\"text\": \"\", \"label\": \"neg\"}");  // no trailing newline, empty text
  std::vector<std::string> labels;
  int num_labels = 1;
  auto ds = make_classification_dataset("train", dir.path(), 3, labels, num_labels, 256, ByteTokenizer());
  ASSERT_EQ(ds->size(), 3u);
  EXPECT_EQ(labels, (std::vector<std::string>{"neg", "pos"}));
  EXPECT_EQ(num_labels, 2);
  auto b = ds->make_batch({0, 1, 2});
  EXPECT_EQ(b.targets[0].item<int64_t>(), 1);
  EXPECT_EQ(b.targets[1].item<int64_t>(), 0);
  EXPECT_EQ(b.input_ids[0][2].item<int64_t>(), 'o');  // truncated to 3
  EXPECT_TRUE(b.attention_mask[1][2].item<bool>());    // "bad" fills all 3 positions
  EXPECT_TRUE(b.attention_mask[2][0].item<bool>());    // an empty text attends to one position
  EXPECT_FALSE(b.attention_mask[2][1].item<bool>());
}

TEST(Classification, MalformedLineNamesFileAndLine) {
  TempDir dir;
  dir.write("d.jsonl", "{\"text\": \"ok\", \"label\": 0}\n{\"text\": oops}\n");
  std::vector<std::string> labels;
  int n = 1;
  try {
    make_classification_dataset("train", dir.path(), 8, labels, n, 256, ByteTokenizer());
    FAIL() << "no error";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("d.jsonl:2: not valid JSON"), std::string::npos) << e.what();
  }
}

TEST(Classification, UnknownEvalLabelIsAnError) {
  TempDir dir;
  dir.write("d.jsonl", "{\"text\": \"x\", \"label\": \"maybe\"}\n");
  std::vector<std::string> labels{"neg", "pos"};
  int n = 2;
  EXPECT_THROW(make_classification_dataset("test", dir.path(), 8, labels, n, 256, ByteTokenizer()), RuntimeFailure);
}

TEST(BatchOrder, IsAPermutationDeterminedBySeedAndEpoch) {
  BatchOrder a(100, 10, 7), b(100, 10, 7), c(100, 10, 8);
  auto first = a.indices(0, 0, 0, 10);
  EXPECT_EQ(first, b.indices(0, 0, 0, 10));
  EXPECT_NE(first, c.indices(0, 0, 0, 10));
  EXPECT_NE(first, a.indices(1, 0, 0, 10));
  std::set<size_t> seen;
  for (size_t s = 0; s < a.steps_per_epoch(); ++s)
    for (auto i : a.indices(3, s, 0, 10)) seen.insert(i);
  EXPECT_EQ(seen.size(), 100u);
}

TEST(BatchOrder, RankSlicesTileTheGlobalBatch) {
  // Global batch 8 = 2 ranks x 4: the two slices concatenated are the one-process batch.
  BatchOrder order(64, 8, 42);
  auto whole = order.indices(2, 5, 0, 8);
  auto r0 = order.indices(2, 5, 0, 4), r1 = order.indices(2, 5, 4, 8);
  r0.insert(r0.end(), r1.begin(), r1.end());
  EXPECT_EQ(whole, r0);
}

TEST(BatchOrder, GlobalBatchLargerThanDataIsAUsageError) {
  EXPECT_THROW(BatchOrder(5, 8, 1), UsageError);
}

}  // namespace
}  // namespace tandem
