// safetensors files built to break the reader: repeated keys, overflowing
// shapes, shared byte ranges, integer buffers, and a few thousand seeded
// mutations of a valid file. Each must load or be refused with one line
// naming the file; nothing else (no crash, no other exception, no allocation
// beyond the file: fuzz/safetensors_fuzz.cpp runs the same parser under ASan).
#include "engine/checkpoint/safetensors.h"
#include "engine/checkpoint/safetensors_header.h"
#include "engine/error.h"
#include "tests/common/temp_dir.h"

#include <gtest/gtest.h>

#include <random>

namespace tandem {
namespace {

std::string with_length_word(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(static_cast<uint64_t>(header.size()) >> (8 * i));
  return out + header + data;
}

std::string refusal(const std::string& bytes) {
  try {
    parse_safetensors_header("x.safetensors", bytes, bytes.size());
  } catch (const RuntimeFailure& e) {
    return e.what();
  }
  return "accepted";
}

TEST(SafetensorsHardening, RepeatedKeyIsRefused) {
  const auto file = with_length_word(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                     R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                     std::string(8, '\0'));
  EXPECT_EQ(refusal(file), "x.safetensors: the safetensors header repeats the key \"a\"");
}

TEST(SafetensorsHardening, OverflowingShapeIsRefusedByName) {
  const auto file = with_length_word(
      R"({"big":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}})", "");
  EXPECT_NE(refusal(file).find("x.safetensors: tensor big: shape [4611686018427387904,4] overflows"), std::string::npos)
      << refusal(file);
}

TEST(SafetensorsHardening, FractionalOrNegativeDimensionIsRefused) {
  EXPECT_NE(refusal(with_length_word(R"({"t":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", "abcd"))
                .find("tensor t: shape holds 1.5"),
            std::string::npos);
  EXPECT_NE(refusal(with_length_word(R"({"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", "abcd"))
                .find("tensor t: shape holds -1"),
            std::string::npos);
}

TEST(SafetensorsHardening, EntriesSharingOneRangeAreRefusedBeforeAnyAllocation) {
  // 2000 entries over one 64 KiB range: reading them would allocate 2000x the file.
  std::string header = "{";
  for (int i = 0; i < 2000; ++i)
    header += (i ? "," : "") + std::string("\"t") + std::to_string(i) +
              R"(":{"dtype":"F32","shape":[16384],"data_offsets":[0,65536]})";
  header += "}";
  TempDir dir;
  dir.write("shared.safetensors", with_length_word(header, std::string(65536, '\0')));
  try {
    load_safetensors(dir.file("shared.safetensors"));
    FAIL() << "accepted";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("shared.safetensors: tensor t"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("overlaps tensor t"), std::string::npos) << e.what();
  }
}

TEST(SafetensorsHardening, HeaderLengthBeyondTheFileIsRefused) {
  std::string file = with_length_word("{}", "");
  file[7] = '\x7f';
  EXPECT_NE(refusal(file).find("header length"), std::string::npos);
}

TEST(SafetensorsHardening, IntegerBuffersReadAsIntegersAndNeverBecomeWeights) {
  TempDir dir;
  save_safetensors(dir.file("m.safetensors"), {{"embeddings.position_ids", torch::arange(6, torch::kLong).view({1, 6})},
                                               {"w", torch::ones({2}, torch::kBFloat16)}});
  const auto stored = load_safetensors(dir.file("m.safetensors"));
  EXPECT_EQ(stored.at("embeddings.position_ids").scalar_type(), torch::kLong);
  EXPECT_EQ(stored.at("embeddings.position_ids")[0][5].item<int64_t>(), 5);
  EXPECT_EQ(stored.at("w").scalar_type(), torch::kBFloat16);
  auto weight = torch::zeros({1, 6});
  try {
    copy_into_parameters(stored, {{"embeddings.position_ids", weight}}, "m.safetensors");
    FAIL() << "integer data went into a float parameter";
  } catch (const RuntimeFailure& e) {
    EXPECT_EQ(std::string(e.what()), "m.safetensors: tensor embeddings.position_ids holds Long data, the model expects Float");
  }
}

// One mutation of a valid file, chosen by the generator: byte flips and
// overwrites anywhere, digits changed inside the header (offsets and shapes
// that still parse), truncation, a new length word, garbage appended.
std::string mutate(const std::string& good, size_t header_end, std::mt19937_64& rng) {
  std::string m = good;
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % std::max<size_t>(n, 1)); };
  switch (rng() % 6) {
    case 0:
      m[pick(m.size())] ^= static_cast<char>(1 << pick(8));
      break;
    case 1:
      m[pick(header_end)] = static_cast<char>(rng());
      break;
    case 2:
      for (int tries = 0; tries < 64; ++tries) {
        const size_t at = 8 + pick(header_end - 8);
        if (m[at] >= '0' && m[at] <= '9') {
          m[at] = static_cast<char>('0' + pick(10));
          break;
        }
      }
      break;
    case 3:
      m.resize(pick(m.size()));
      break;
    case 4:
      for (int i = 0; i < 8; ++i) m[i] = static_cast<char>(rng() % 3 == 0 ? rng() : 0);
      m[0] = static_cast<char>(rng());
      break;
    default:
      m += std::string(pick(64), static_cast<char>(rng()));
      break;
  }
  return m;
}

TEST(SafetensorsHardening, SeededMutationsLoadOrAreRefusedInOneLine) {
  TempDir dir;
  save_safetensors(dir.file("good.safetensors"),
                   {{"a", torch::randn({3, 4})}, {"b", torch::randn({5}).to(torch::kBFloat16)},
                    {"c", torch::randn({2, 2}).to(torch::kFloat16)}, {"position_ids", torch::arange(7, torch::kLong)}},
                   {{"format", "pt"}});
  const std::string good = dir.read("good.safetensors");
  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i) header_len |= static_cast<uint64_t>(static_cast<unsigned char>(good[i])) << (8 * i);

  std::mt19937_64 rng(20261202);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string m = mutate(good, 8 + header_len, rng);
    try {
      const auto header = parse_safetensors_header("m.safetensors", m, m.size());
      uint64_t total = 0;
      for (const auto& t : header.tensors) total += t.end - t.begin;
      ASSERT_LE(header.data_start + total, m.size()) << "mutation " << i;
      ++accepted;
    } catch (const RuntimeFailure& e) {
      const std::string what = e.what();
      ASSERT_EQ(what.rfind("m.safetensors: ", 0), 0u) << "mutation " << i << ": " << what;
      ASSERT_EQ(what.find('\n'), std::string::npos) << "mutation " << i << ": " << what;
      ++refused;
    }
    // Every 20th goes through the whole reader, tensors included.
    if (i % 20 == 0) {
      dir.write("m.safetensors", m);
      try {
        load_safetensors(dir.file("m.safetensors"));
      } catch (const RuntimeFailure&) {
      }
    }
  }
  // Both outcomes occur, so the mutations reach past the first check.
  EXPECT_GT(refused, 1000);
  EXPECT_GT(accepted, 100);
}

}  // namespace
}  // namespace tandem
