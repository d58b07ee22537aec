#pragma once
// Small corpora written into a scratch directory, so tests need nothing but the binary.
#include "tests/common/temp_dir.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace tandem::e2e {

// A few kilobytes of varied English text, deterministic.
inline std::string tiny_corpus(int repeats) {
  const char* lines[] = {"The quick brown fox jumps over the lazy dog.\n",
                         "A journey of a thousand miles begins with a single step.\n",
                         "To be or not to be, that is the question.\n",
                         "All that glitters is not gold; all who wander are not lost.\n",
                         "Simplicity is prerequisite for reliability.\n"};
  std::string text;
  for (int r = 0; r < repeats; ++r)
    for (const char* l : lines) text += l;
  return text;
}

inline void write_lm_channels(const TempDir& dir) {
  dir.write("data/train/a.txt", tiny_corpus(20));
  dir.write("data/train/b.txt", tiny_corpus(7));
  dir.write("data/test/c.txt", tiny_corpus(3));
}

inline void write_classification_channels(const TempDir& dir) {
  std::string train, test;
  const char* pos[] = {"great", "wonderful", "excellent", "lovely", "superb"};
  const char* neg[] = {"awful", "terrible", "horrible", "dreadful", "lousy"};
  for (int i = 0; i < 40; ++i) {
    train += std::string("{\"text\": \"a ") + pos[i % 5] + " day\", \"label\": \"positive\"}\n";
    train += std::string("{\"text\": \"a ") + neg[i % 5] + " day\", \"label\": \"negative\"}\n";
  }
  for (int i = 0; i < 5; ++i) {
    test += std::string("{\"text\": \"") + pos[i] + "\", \"label\": \"positive\"}\n";
    test += std::string("{\"text\": \"") + neg[i] + "\", \"label\": \"negative\"}\n";
  }
  dir.write("data/train/d.jsonl", train);
  dir.write("data/test/d.jsonl", test);
}

// What differs between the e2e tests' `tandem train` runs; everything else is
// train_args' fixed choice. Further flags go on with with_flag (run_tandem.h).
struct TrainRun {
  std::string model = "gpt-tiny";
  int max_steps = 6;  // 0: no --max_steps (e.g. --epochs given instead)
  int block_size = 32;
  int batch = 4;      // --per_device_train_batch_size
};

// `tandem train` over the channels under DIR/data, outputs under DIR/RUN/
// (model/, ckpt/, out/), one thread, a loss record every step: the one
// argument list every e2e training run starts from.
inline std::vector<std::string> train_args(const TempDir& dir, const std::string& run, const TrainRun& r = {}) {
  std::vector<std::string> args = {"train", "--model_name_or_path", r.model, "--training_dir", dir.file("data/train"),
                                   "--test_dir", dir.file("data/test"), "--model_dir", dir.file(run + "/model"),
                                   "--output_dir", dir.file(run + "/ckpt"), "--output_data_dir", dir.file(run + "/out"),
                                   "--block_size", std::to_string(r.block_size), "--per_device_train_batch_size",
                                   std::to_string(r.batch), "--learning_rate", "0.003", "--logging_steps", "1",
                                   "--num_threads", "1"};
  if (r.max_steps > 0) args.insert(args.end(), {"--max_steps", std::to_string(r.max_steps)});
  return args;
}

// gpt-tiny over write_lm_channels' data for `steps` steps, two of warm-up.
inline std::vector<std::string> tiny_lm_args(const TempDir& dir, const std::string& run, int steps) {
  auto args = train_args(dir, run, {"gpt-tiny", steps});
  args.insert(args.end(), {"--warmup_steps", "2"});
  return args;
}

// A Hugging Face GPT-2 config.json in `folder`: gpt-tiny's shape (dropout 0,
// so layouts compare bit for bit) with another vocabulary size, e.g. 300,
// which the engine pads to 320 in memory.
inline void write_gpt_config(const TempDir& dir, const std::string& folder, int vocab_size) {
  const nlohmann::json config = {{"model_type", "gpt2"}, {"n_layer", 2},        {"n_head", 2},
                                 {"n_embd", 64},         {"n_inner", 256},      {"vocab_size", vocab_size},
                                 {"n_positions", 256},   {"resid_pdrop", 0.0}, {"tie_word_embeddings", true}};
  dir.write(folder + "/config.json", config.dump(2));
}

// A BERT classifier's config.json (byte vocabulary, no dropout, no weights:
// it starts from the seed like a preset).
inline void write_bert_config(const TempDir& dir, const std::string& folder) {
  const nlohmann::json config = {{"model_type", "bert"},          {"num_hidden_layers", 2},
                                 {"num_attention_heads", 2},      {"hidden_size", 64},
                                 {"intermediate_size", 128},      {"vocab_size", 256},
                                 {"max_position_embeddings", 64}, {"hidden_dropout_prob", 0.0},
                                 {"attention_probs_dropout_prob", 0.0}};
  dir.write(folder + "/config.json", config.dump(2));
}

}  // namespace tandem::e2e
