// Parity with Hugging Face transformers (tests/hf/hf_reference.py, run by the
// Python whose torch tandem builds against): small random GPT-2, BERT and
// DistilBERT models made by transformers evaluate in tandem to transformers'
// logits and loss; tandem fine-tunes them and saves, and transformers reloads
// the result to tandem's loss. The real pretrained MiniLM, as a classifier,
// gives transformers' loss on fixed token ids. Skipped, saying why, where the
// Python lacks transformers or the MiniLM package.
#include "engine/checkpoint/safetensors.h"
#include "engine/data/dataset.h"
#include "engine/model/pretrained_weights.h"
#include "engine/model/transformer_model.h"
#include "tests/common/temp_dir.h"
#include "tests/e2e/run_tandem.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

using e2e::RunResult;
using e2e::slurp;

constexpr double kRelativeTolerance = 1e-4;
constexpr int kSkipCode = 77;  // hf_reference.py: cannot run here, the reason on stderr

std::string last_line(const std::string& text) {
  const auto end = text.find_last_not_of('\n');
  if (end == std::string::npos) return text;
  const auto start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

RunResult reference(const std::vector<std::string>& args, const TempDir& dir) {
  std::vector<std::string> argv{TANDEM_TORCH_PYTHON, std::string(TANDEM_SOURCE_DIR) + "/tests/hf/hf_reference.py"};
  argv.insert(argv.end(), args.begin(), args.end());
  return e2e::run_command(argv, dir.path().string(), {"OMP_NUM_THREADS=1", "HF_HUB_OFFLINE=1"});
}

// Runs the reference; a "cannot run here" skips the test with its reason.
#define RUN_REFERENCE_OR_SKIP(result, args, dir)                                          \
  const RunResult result = reference(args, dir);                                          \
  if (result.exit_code == kSkipCode) GTEST_SKIP() << last_line(result.err);               \
  ASSERT_EQ(result.exit_code, 0) << result.err

double final_eval_loss(const std::string& metrics_path) {
  double loss = -1;
  for (const auto& r : e2e::read_jsonl(metrics_path))
    if (r.contains("eval_loss")) loss = r["eval_loss"].get<double>();
  return loss;
}

void expect_relatively_close(double actual, double expected, const std::string& what) {
  EXPECT_LE(std::fabs(actual - expected), kRelativeTolerance * std::fabs(expected))
      << what << ": tandem " << actual << ", transformers " << expected;
}

// The test channel as tandem batches it, through tandem's model loaded from `model_dir`.
torch::Tensor tandem_logits(const std::string& model_dir, const std::string& test_dir, int block) {
  ModelConfig config = resolve_model_config(model_dir);
  auto model = TransformerModel::build(config, 0);
  const PretrainedLoad load = load_pretrained_weights(model_dir + "/model.safetensors", model);
  EXPECT_TRUE(load.initialised.empty()) << load.notice(model_dir);
  model.train(false);
  std::unique_ptr<Dataset> data;
  if (config.family == ModelFamily::Gpt) {
    data = make_lm_dataset("test", test_dir, block, config.vocab_size);
  } else {
    int num_labels = config.num_labels;
    data = make_classification_dataset("test", test_dir, block, config.vocab_size, config.labels, num_labels);
  }
  std::vector<size_t> all(data->size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  const Batch batch = data->make_batch(all);
  torch::NoGradGuard no_grad;
  return model.forward(batch.input_ids, BatchContext{batch.input_ids, batch.attention_mask});
}

void expect_same_logits(const torch::Tensor& tandem, const torch::Tensor& reference) {
  ASSERT_EQ(tandem.sizes(), reference.sizes());
  const double worst = (tandem - reference).abs().max().item<double>();
  const double scale = reference.abs().max().item<double>();
  EXPECT_LE(worst, kRelativeTolerance * scale) << "largest logit difference " << worst << " of " << scale;
}

std::vector<std::string> eval_args(const TempDir& dir, const std::string& model, const std::string& run, int block) {
  return {"train", "--model_name_or_path", model, "--do_train", "False", "--test_dir", dir.file("data/test"),
          "--output_data_dir", dir.file(run + "/out"), "--output_dir", dir.file(run + "/ckpt"), "--block_size",
          std::to_string(block), "--num_threads", "1"};
}

class HfParity : public ::testing::TestWithParam<std::string> {};

TEST_P(HfParity, TandemMatchesTransformersBothWays) {
  const int block = 16;
  TempDir dir;
  RUN_REFERENCE_OR_SKIP(made, (std::vector<std::string>{"make", GetParam(), dir.path().string()}), dir);
  const double reference_loss = nlohmann::json::parse(slurp(dir.file("reference.json")))["eval_loss"].get<double>();

  // transformers' weights in tandem: the same logits and the same eval loss.
  expect_same_logits(tandem_logits(dir.file("model"), dir.file("data/test"), block),
                     load_safetensors(dir.file("reference.safetensors")).at("logits"));
  auto r = e2e::run_tandem(eval_args(dir, dir.file("model"), "eval", block), dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_relatively_close(final_eval_loss(dir.file("eval/out/metrics.jsonl")), reference_loss, "eval loss");

  // tandem fine-tunes and saves; transformers loads the result to tandem's loss.
  r = e2e::run_tandem({"train", "--model_name_or_path", dir.file("model"), "--training_dir", dir.file("data/train"),
                       "--test_dir", dir.file("data/test"), "--model_dir", dir.file("tuned/model"), "--output_dir",
                       dir.file("tuned/ckpt"), "--output_data_dir", dir.file("tuned/out"), "--max_steps", "4",
                       "--per_device_train_batch_size", "4", "--learning_rate", "0.003", "--block_size",
                       std::to_string(block), "--num_threads", "1"},
                      dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double tuned_loss = final_eval_loss(dir.file("tuned/out/metrics.jsonl"));
  EXPECT_GT(std::fabs(tuned_loss - reference_loss), 1e-3) << "fine-tuning changed nothing";
  const auto config = nlohmann::json::parse(slurp(dir.file("tuned/model/config.json")));
  EXPECT_EQ(config["architectures"].size(), 1u);
  if (GetParam() != "gpt2") EXPECT_EQ(config["id2label"].size(), 3u) << config.dump();
  RUN_REFERENCE_OR_SKIP(reloaded, (std::vector<std::string>{"eval", dir.file("tuned/model"), dir.file("data/test")}), dir);
  expect_relatively_close(nlohmann::json::parse(last_line(reloaded.out))["eval_loss"].get<double>(), tuned_loss,
                          "transformers' loss of tandem's fine-tuned model");
}

INSTANTIATE_TEST_SUITE_P(Families, HfParity,
                         ::testing::Values("gpt2", "bert", "distilbert", "distilbert_sinusoidal"),
                         [](const auto& info) { return info.param; });

TEST(HfMiniLm, PretrainedClassifierLossEqualsTransformers) {
  const int block = 32;
  TempDir dir;
  RUN_REFERENCE_OR_SKIP(made, (std::vector<std::string>{"minilm", dir.path().string()}), dir);
  const double reference_loss = nlohmann::json::parse(slurp(dir.file("reference.json")))["eval_loss"].get<double>();
  expect_same_logits(tandem_logits(dir.file("model"), dir.file("data/test"), block),
                     load_safetensors(dir.file("reference.safetensors")).at("logits"));
  const auto r = e2e::run_tandem(eval_args(dir, dir.file("model"), "eval", block), dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_relatively_close(final_eval_loss(dir.file("eval/out/metrics.jsonl")), reference_loss, "MiniLM eval loss");
}

TEST(HfMiniLm, BaseCheckpointGetsANewHeadAndKeepsItsTokenizer) {
  TempDir dir;
  RUN_REFERENCE_OR_SKIP(made, (std::vector<std::string>{"minilm", dir.path().string()}), dir);
  const std::string source = slurp(dir.file("source"));  // the package's BertModel directory
  const auto r = e2e::run_tandem({"train", "--model_name_or_path", source, "--training_dir", dir.file("data/train"),
                                  "--test_dir", dir.file("data/test"), "--model_dir", dir.file("tuned/model"),
                                  "--output_dir", dir.file("tuned/ckpt"), "--output_data_dir", dir.file("tuned/out"),
                                  "--max_steps", "1", "--per_device_train_batch_size", "2", "--block_size", "32",
                                  "--num_threads", "1"},
                                 dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("new classification head initialised (classifier.weight, classifier.bias)"), std::string::npos)
      << r.out;
  const auto config = nlohmann::json::parse(slurp(dir.file("tuned/model/config.json")));
  EXPECT_EQ(config["architectures"][0], "BertForSequenceClassification");
  EXPECT_EQ(config["id2label"].size(), 3u);
  RUN_REFERENCE_OR_SKIP(same, (std::vector<std::string>{"same_tokenizer", dir.file("tuned/model"), source}), dir);
}

}  // namespace
}  // namespace tandem
