// model.safetensors: exact round trip, and clear errors on damaged files.
#include "engine/checkpoint/safetensors.h"
#include "engine/error.h"
#include "engine/model/transformer_model.h"
#include "tests/common/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace tandem {
namespace {

std::string error_of(const std::string& path) {
  try {
    load_safetensors(path);
  } catch (const RuntimeFailure& e) {
    return e.what();
  }
  return "no error";
}

TEST(Safetensors, RoundTripsEveryDtypeBitExactly) {
  TempDir dir;
  NamedTensors in = {{"f32", torch::randn({3, 5})},
                     {"bf16", torch::randn({7}).to(torch::kBFloat16)},
                     {"f16", torch::randn({2, 2}).to(torch::kFloat16)},
                     {"i64", torch::arange(10, torch::kLong)},
                     {"u8", torch::randint(0, 255, {9}, torch::kUInt8)},
                     {"scalar", torch::tensor(3.5)},
                     {"empty", torch::zeros({0, 4})}};
  save_safetensors(dir.file("m.safetensors"), in, {{"format", "pt"}});
  auto out = load_safetensors(dir.file("m.safetensors"));
  ASSERT_EQ(out.size(), in.size());
  for (const auto& [name, t] : in) {
    ASSERT_TRUE(out.count(name)) << name;
    EXPECT_EQ(out[name].scalar_type(), t.scalar_type()) << name;
    EXPECT_TRUE(torch::equal(out[name], t)) << name;
  }
}

TEST(Safetensors, FollowsTheFormatLayout) {
  TempDir dir;
  save_safetensors(dir.file("m.safetensors"), {{"w", torch::ones({2, 3})}});
  const std::string bytes = dir.read("m.safetensors");
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  EXPECT_EQ((8 + n) % 8, 0u);  // data section 8-byte aligned
  auto header = nlohmann::json::parse(bytes.substr(8, n));
  EXPECT_EQ(header["w"]["dtype"], "F32");
  EXPECT_EQ(header["w"]["shape"], nlohmann::json({2, 3}));
  EXPECT_EQ(header["w"]["data_offsets"], nlohmann::json({0, 24}));
  EXPECT_EQ(bytes.size(), 8 + n + 24);
}

TEST(Safetensors, WholeModelRoundTrips) {
  TempDir dir;
  auto a = TransformerModel::build(preset_config("gpt-tiny"), 1);
  auto b = TransformerModel::build(preset_config("gpt-tiny"), 2);
  save_safetensors(dir.file("m.safetensors"), a.named_parameters());
  copy_into_parameters(load_safetensors(dir.file("m.safetensors")), b.named_parameters(), "m");
  auto pa = a.named_parameters(), pb = b.named_parameters();
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i].second, pb[i].second)) << pa[i].first;
}

TEST(Safetensors, DamagedFilesAreNamed) {
  TempDir dir;
  save_safetensors(dir.file("ok.safetensors"), {{"w", torch::ones({4, 4})}});
  const std::string good = dir.read("ok.safetensors");
  dir.write("short.safetensors", good.substr(0, good.size() - 5));
  EXPECT_NE(error_of(dir.file("short.safetensors")).find("short.safetensors: tensor w: data_offsets"), std::string::npos);
  dir.write("tiny.safetensors", "abc");
  EXPECT_NE(error_of(dir.file("tiny.safetensors")).find("too short"), std::string::npos);
  std::string bad_header = good;
  bad_header[8] = '[';
  bad_header[9] = '[';
  dir.write("hdr.safetensors", bad_header);
  EXPECT_NE(error_of(dir.file("hdr.safetensors")).find("hdr.safetensors: the safetensors header"), std::string::npos);
  EXPECT_NE(error_of(dir.file("missing.safetensors")).find("cannot be opened"), std::string::npos);
}

TEST(Safetensors, ShapeMismatchOnLoadNamesTheTensor) {
  TempDir dir;
  auto tiny = TransformerModel::build(preset_config("gpt-tiny"), 1);
  save_safetensors(dir.file("m.safetensors"), {{"transformer.wte.weight", torch::zeros({3, 3})}});
  try {
    copy_into_parameters(load_safetensors(dir.file("m.safetensors")), tiny.named_parameters(), "m.safetensors");
    FAIL();
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("transformer.wte.weight has shape [3, 3]"), std::string::npos) << e.what();
  }
}

TEST(Safetensors, FailedWriteLeavesThePreviousFile) {
  TempDir dir;
  save_safetensors(dir.file("m.safetensors"), {{"w", torch::ones({2})}});
  const std::string before = dir.read("m.safetensors");
  // A complex tensor is not a safetensors dtype: the write fails before the rename.
  EXPECT_THROW(save_safetensors(dir.file("m.safetensors"), {{"w", torch::ones({2}, torch::kComplexFloat)}}),
               RuntimeFailure);
  EXPECT_EQ(dir.read("m.safetensors"), before);
}

}  // namespace
}  // namespace tandem
