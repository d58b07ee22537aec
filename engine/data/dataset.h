#pragma once
// Examples a channel yields, addressed by index so that the global batch of a
// step is the same set of examples whatever the number of ranks.

#include "engine/data/batch.h"
#include "engine/tokenizer/tokenizer.h"

#include <memory>
#include <string>
#include <vector>

namespace tandem {

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual size_t size() const = 0;
  virtual Batch make_batch(const std::vector<size_t>& indices) const = 0;
};

// Language modelling: the channel's files become one token stream (files in
// name order, .bin shards as stored). Text is tokenized with `tokenizer`:
// with an end-of-text token (GPT-2), each .txt file and each .jsonl "text" is
// followed by it; without one (the byte tokenizer), .txt files are
// concatenated and each .jsonl "text" is followed by '\n'. Example i is
// tokens [i*T, i*T + T + 1): inputs are the first T, targets the last T.
std::unique_ptr<Dataset> make_lm_dataset(const std::string& channel_name, const std::string& dir, int block_size,
                                         int vocab_size, const Tokenizer& tokenizer);

// Classification: one example per JSON line: "text" (and "text_pair" for pair
// tasks) through the tokenizer's template ([CLS] text [SEP] for BERT), or
// "input_ids" already made by the model's tokenizer (each below vocab_size);
// truncated and padded to block_size, with attention mask and token type ids.
// Labels are integers, or strings mapped to ids in sorted order. `labels` in:
// the mapping to use (empty = derive it from this channel); out: the mapping used.
std::unique_ptr<Dataset> make_classification_dataset(const std::string& channel_name, const std::string& dir,
                                                     int block_size, std::vector<std::string>& labels,
                                                     int& num_labels, int vocab_size, const Tokenizer& tokenizer);

}  // namespace tandem
