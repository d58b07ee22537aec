#pragma once
// Examples a channel yields, addressed by index so that the global batch of a
// step is the same set of examples whatever the number of ranks.

#include "engine/data/batch.h"

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
// name order; .txt as bytes, .jsonl "text" fields each followed by '\n', .bin
// shards as stored); example i is tokens [i*T, i*T + T + 1): inputs are the
// first T, targets the last T.
std::unique_ptr<Dataset> make_lm_dataset(const std::string& channel_name, const std::string& dir, int block_size,
                                         int vocab_size);

// Classification: one example per JSON line ("text", or "input_ids" below
// vocab_size), padded or truncated to block_size. Labels are integers, or
// strings mapped to ids in sorted order. `labels` in: the mapping to use
// (empty = derive it from this channel); out: the mapping used.
std::unique_ptr<Dataset> make_classification_dataset(const std::string& channel_name, const std::string& dir,
                                                     int block_size, int vocab_size,
                                                     std::vector<std::string>& labels, int& num_labels);

}  // namespace tandem
