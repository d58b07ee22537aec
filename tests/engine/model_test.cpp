// The model as a layer list: HF names, counts, slices that compose, init determinism.
#include "engine/error.h"
#include "engine/model/transformer_model.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

TEST(Model, GptTinyHasHuggingFaceNamesAndLayouts) {
  auto m = TransformerModel::build(preset_config("gpt-tiny"), 0);
  std::map<std::string, std::vector<int64_t>> shapes;
  for (auto& [n, p] : m.named_parameters()) shapes[n] = p.sizes().vec();
  EXPECT_EQ(shapes.at("transformer.wte.weight"), (std::vector<int64_t>{256, 64}));
  EXPECT_EQ(shapes.at("transformer.wpe.weight"), (std::vector<int64_t>{256, 64}));
  EXPECT_EQ(shapes.at("transformer.h.0.attn.c_attn.weight"), (std::vector<int64_t>{64, 192}));  // Conv1D: [in, out]
  EXPECT_EQ(shapes.at("transformer.h.1.mlp.c_proj.weight"), (std::vector<int64_t>{256, 64}));
  EXPECT_EQ(shapes.at("transformer.ln_f.weight"), (std::vector<int64_t>{64}));
  EXPECT_EQ(shapes.count("lm_head.weight"), 0u);  // tied to wte
  ASSERT_EQ(m.size(), 5u);  // embedding, 2 blocks, final norm, head
  EXPECT_EQ(m.layers().front()->kind(), "embedding");
  EXPECT_EQ(m.layers().back()->kind(), "head");
}

TEST(Model, LayerCostsAddUpToTheParameterCount) {
  for (const char* name : {"gpt-tiny", "encoder-tiny", "gpt-mini"}) {
    auto m = TransformerModel::build(preset_config(name), 0);
    int64_t from_costs = 0;
    for (const auto& l : m.layers()) from_costs += l->cost(128).parameters;
    EXPECT_EQ(from_costs, m.parameter_count()) << name;
  }
}

TEST(Model, SlicesComposeToTheWholeModel) {
  auto m = TransformerModel::build(preset_config("gpt-tiny"), 3);
  auto ids = torch::randint(0, 256, {2, 16}, torch::kLong);
  BatchContext ctx{ids, torch::Tensor()};
  auto whole = m.forward(ids, ctx);
  auto h = m.forward(ids, ctx, 0, 2);
  auto cut = m.forward(h, ctx, 2, m.size());
  EXPECT_TRUE(torch::equal(whole, cut));
  EXPECT_EQ(whole.sizes(), (std::vector<int64_t>{2, 16, 256}));
}

TEST(Model, SameSeedSameWeights) {
  auto a = TransformerModel::build(preset_config("encoder-tiny"), 5);
  auto b = TransformerModel::build(preset_config("encoder-tiny"), 5);
  auto pa = a.named_parameters(), pb = b.named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i].second, pb[i].second)) << pa[i].first;
}

TEST(Model, EncoderIgnoresPadding) {
  auto m = TransformerModel::build(preset_config("encoder-tiny"), 1);
  m.train(false);
  auto ids = torch::tensor({{65, 66, 67, 0, 0}}, torch::kLong);
  auto mask = torch::tensor({{true, true, true, false, false}});
  auto other = ids.clone();
  other[0][3] = 90;  // change a padded position
  auto a = m.forward(ids, BatchContext{ids, mask}), b = m.forward(other, BatchContext{other, mask});
  EXPECT_TRUE(torch::allclose(a, b));
  EXPECT_EQ(a.sizes(), (std::vector<int64_t>{1, 2}));
}

TEST(Model, CausalAttentionDoesNotSeeTheFuture) {
  auto m = TransformerModel::build(preset_config("gpt-tiny"), 1);
  auto ids = torch::randint(0, 256, {1, 8}, torch::kLong);
  auto changed = ids.clone();
  changed[0][7] = (changed[0][7].item<int64_t>() + 1) % 256;
  auto a = m.forward(ids, BatchContext{ids, {}}), b = m.forward(changed, BatchContext{changed, {}});
  EXPECT_TRUE(torch::equal(a.slice(1, 0, 7), b.slice(1, 0, 7)));
  EXPECT_FALSE(torch::equal(a.slice(1, 7, 8), b.slice(1, 7, 8)));
}

TEST(ModelConfig, HuggingFaceConfigRoundTrips) {
  for (const char* name : {"gpt2-124m", "encoder-tiny"}) {
    auto c = preset_config(name);
    if (c.family == ModelFamily::Encoder) c.labels = {"neg", "pos"};
    auto back = config_from_hf_json(config_to_hf_json(c), "config.json");
    EXPECT_EQ(back.n_layer, c.n_layer);
    EXPECT_EQ(back.d_model, c.d_model);
    EXPECT_EQ(back.d_ff, c.d_ff);
    EXPECT_EQ(back.vocab_size, c.vocab_size);
    EXPECT_EQ(back.max_position, c.max_position);
    EXPECT_EQ(back.labels, c.labels);
  }
}

TEST(ModelConfig, UnknownPresetAndBadShapesAreUsageErrors) {
  EXPECT_THROW(resolve_model_config("gpt-huge"), UsageError);
  auto c = preset_config("gpt-tiny");
  c.n_head = 3;
  EXPECT_THROW(c.validate(), UsageError);
  EXPECT_THROW(config_from_hf_json({{"model_type", "llama"}}, "config.json"), UsageError);
}

}  // namespace
}  // namespace tandem
