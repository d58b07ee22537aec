// Hugging Face checkpoints into tandem's models by transformers' rules: base
// checkpoints into classifiers (prefix-less names, a new head named), integer
// buffers skipped, and one clear error for a missing tensor, a wrong shape,
// integer data in a weight's place, a config field of the wrong type or an
// unsupported architecture.
#include "engine/checkpoint/safetensors.h"
#include "engine/error.h"
#include "engine/model/pretrained_weights.h"
#include "engine/model/transformer_model.h"
#include "tests/common/temp_dir.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

ModelConfig tiny_bert() {
  return config_from_hf_json({{"model_type", "bert"}, {"architectures", {"BertModel"}}, {"num_hidden_layers", 2},
                              {"num_attention_heads", 2}, {"hidden_size", 32}, {"intermediate_size", 64},
                              {"vocab_size", 100}, {"max_position_embeddings", 32}, {"hidden_dropout_prob", 0.0},
                              {"attention_probs_dropout_prob", 0.0}},
                             "config.json");
}

// The model's parameters as a base checkpoint stores them: without the head's
// classifier, without "bert.", plus the position_ids buffer transformers writes.
NamedTensors as_base_checkpoint(const TransformerModel& m) {
  NamedTensors out;
  for (const auto& [name, p] : m.named_parameters()) {
    if (name.rfind("classifier.", 0) == 0) continue;
    out.emplace_back(name.substr(std::string("bert.").size()), p.detach().clone() + 0.5);
  }
  out.emplace_back("embeddings.position_ids", torch::arange(32, torch::kLong).unsqueeze(0));
  return out;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(PretrainedWeights, BertHasHuggingFaceNamesAndShapes) {
  auto m = TransformerModel::build(tiny_bert(), 0);
  std::map<std::string, std::vector<int64_t>> shapes;
  for (auto& [n, p] : m.named_parameters()) shapes[n] = p.sizes().vec();
  EXPECT_EQ(shapes.at("bert.embeddings.token_type_embeddings.weight"), (std::vector<int64_t>{2, 32}));
  EXPECT_EQ(shapes.at("bert.encoder.layer.1.attention.self.query.weight"), (std::vector<int64_t>{32, 32}));
  EXPECT_EQ(shapes.at("bert.encoder.layer.0.intermediate.dense.weight"), (std::vector<int64_t>{64, 32}));
  EXPECT_EQ(shapes.at("bert.encoder.layer.0.output.LayerNorm.weight"), (std::vector<int64_t>{32}));
  EXPECT_EQ(shapes.at("bert.pooler.dense.weight"), (std::vector<int64_t>{32, 32}));
  EXPECT_EQ(shapes.at("classifier.weight"), (std::vector<int64_t>{2, 32}));
  ASSERT_EQ(m.size(), 4u);  // embedding, 2 blocks, pooler + classifier: the pipeline cuts between them
  int64_t from_costs = 0;
  for (const auto& l : m.layers()) from_costs += l->cost(16).parameters;
  EXPECT_EQ(from_costs, m.parameter_count());
}

TEST(PretrainedWeights, BertSlicesComposeAndIgnorePadding) {
  auto m = TransformerModel::build(tiny_bert(), 3);
  m.train(false);
  auto ids = torch::tensor({{2, 10, 11, 0, 0}, {2, 12, 13, 14, 15}}, torch::kLong);
  auto mask = ids.ne(0);
  const BatchContext ctx{ids, mask};
  auto whole = m.forward(ids, ctx);
  EXPECT_TRUE(torch::equal(whole, m.forward(m.forward(ids, ctx, 0, 2), ctx, 2, m.size())));
  auto other = ids.clone();
  other[0][4] = 50;  // a padded position
  EXPECT_TRUE(torch::allclose(whole, m.forward(other, BatchContext{other, mask})));
}

TEST(PretrainedWeights, BaseCheckpointLoadsIntoAClassifierWithANewHead) {
  TempDir dir;
  auto source = TransformerModel::build(tiny_bert(), 1);
  save_safetensors(dir.file("m.safetensors"), as_base_checkpoint(source));
  auto target = TransformerModel::build(tiny_bert(), 2);
  const auto head_before = target.named_parameters().back().second.clone();
  const PretrainedLoad load = load_pretrained_weights(dir.file("m.safetensors"), target);
  EXPECT_EQ(load.initialised, (std::vector<std::string>{"classifier.weight", "classifier.bias"}));
  EXPECT_TRUE(load.unused.empty());  // position_ids is a buffer, not a weight
  const auto expected = as_base_checkpoint(source);
  const auto params = target.named_parameters();
  for (size_t i = 0; i + 2 < params.size(); ++i)
    EXPECT_TRUE(torch::equal(params[i].second, expected[i].second)) << params[i].first;
  EXPECT_TRUE(torch::equal(params.back().second, head_before));
  const std::string notice = load.notice("m.safetensors");
  EXPECT_NE(notice.find("new classification head initialised (classifier.weight, classifier.bias)"), std::string::npos);
  EXPECT_EQ(notice.find('\n'), std::string::npos);
}

TEST(PretrainedWeights, MissingWrongShapeOrIntegerTensorsAreNamed) {
  TempDir dir;
  auto model = TransformerModel::build(tiny_bert(), 1);
  auto checkpoint = as_base_checkpoint(model);
  auto write_without = [&](const std::string& name, torch::Tensor replacement) {
    NamedTensors changed;
    for (const auto& [n, t] : checkpoint)
      if (n != name) changed.emplace_back(n, t);
      else if (replacement.defined()) changed.emplace_back(n, replacement);
    save_safetensors(dir.file("m.safetensors"), changed);
    return message_of([&] { load_pretrained_weights(dir.file("m.safetensors"), model); });
  };
  EXPECT_NE(write_without("encoder.layer.1.output.dense.bias", {}).find("missing tensor bert.encoder.layer.1.output.dense.bias"),
            std::string::npos);
  const auto shape = write_without("embeddings.word_embeddings.weight", torch::zeros({99, 32}));
  EXPECT_NE(shape.find("embeddings.word_embeddings.weight has shape [99, 32], the model expects [100, 32]"),
            std::string::npos)
      << shape;
  const auto integers = write_without("pooler.dense.bias", torch::zeros({32}, torch::kLong));
  EXPECT_NE(integers.find("pooler.dense.bias holds integer data"), std::string::npos) << integers;
  for (const auto& m : {shape, integers}) EXPECT_EQ(m.find("libtorch"), std::string::npos) << m;
}

TEST(HfConfig, FieldsOfTheWrongTypeAreRefusedByName) {
  const nlohmann::json gpt = {{"model_type", "gpt2"}, {"n_layer", 2},      {"n_head", 2},
                              {"n_embd", 64},         {"vocab_size", 300}, {"n_positions", 64}};
  EXPECT_NO_THROW(config_from_hf_json(gpt, "config.json"));
  for (const auto& [field, value] : std::vector<std::pair<std::string, nlohmann::json>>{
           {"n_layer", true}, {"n_layer", 2.5}, {"n_layer", "2"}, {"resid_pdrop", "0.1"},
           {"tie_word_embeddings", 1}, {"n_embd", 1e12}, {"architectures", "GPT2LMHeadModel"}}) {
    auto bad = gpt;
    bad[field] = value;
    const auto message = message_of([&] { config_from_hf_json(bad, "config.json"); });
    EXPECT_NE(message.find("\"" + field + "\""), std::string::npos) << field << ": " << message;
    EXPECT_THROW(config_from_hf_json(bad, "config.json"), UsageError) << field;
  }
}

TEST(HfConfig, UnsupportedArchitecturesAndActivationsAreNamed) {
  auto bert = config_to_hf_json(tiny_bert());
  bert["architectures"] = {"BertForQuestionAnswering"};
  EXPECT_NE(message_of([&] { config_from_hf_json(bert, "c.json"); }).find("architecture BertForQuestionAnswering is not supported"),
            std::string::npos);
  bert["architectures"] = {"BertForSequenceClassification"};
  bert["hidden_act"] = "relu";
  EXPECT_NE(message_of([&] { config_from_hf_json(bert, "c.json"); }).find("hidden_act \"relu\" is not supported"),
            std::string::npos);
}

TEST(HfConfig, EveryFamilyRoundTripsWithLabelsAndArchitecture) {
  auto bert = tiny_bert();
  EXPECT_TRUE(bert.base_checkpoint);
  bert.labels = {"neg", "neutral", "pos"};
  bert.num_labels = 3;
  auto distil = preset_config("encoder-tiny");
  distil.sinusoidal_positions = true;
  for (const auto& c : {bert, distil, preset_config("gpt2-124m")}) {
    const auto j = config_to_hf_json(c);
    const auto back = config_from_hf_json(j, "config.json");
    EXPECT_FALSE(back.base_checkpoint) << j.dump();  // a saved model names its trained architecture
    EXPECT_EQ(back.architecture, c.architecture);
    EXPECT_EQ(back.labels, c.labels);
    EXPECT_EQ(back.num_labels, c.num_labels);
    EXPECT_EQ(back.sinusoidal_positions, c.sinusoidal_positions);
    EXPECT_EQ(back.type_vocab_size, c.type_vocab_size);
    EXPECT_EQ(back.d_ff, c.d_ff);
  }
  EXPECT_EQ(config_to_hf_json(bert)["label2id"]["pos"], 2);
}

}  // namespace
}  // namespace tandem
