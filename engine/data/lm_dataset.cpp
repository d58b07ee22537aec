#include "engine/data/channel.h"
#include "engine/data/dataset.h"
#include "engine/error.h"

namespace tandem {
namespace {

class LmDataset : public Dataset {
 public:
  LmDataset(std::vector<uint16_t> tokens, int block_size) : tokens_(std::move(tokens)), block_(block_size) {}

  size_t size() const override { return (tokens_.size() - 1) / block_; }

  Batch make_batch(const std::vector<size_t>& indices) const override {
    const int64_t B = static_cast<int64_t>(indices.size()), T = block_;
    auto inputs = torch::empty({B, T}, torch::kLong);
    auto targets = torch::empty({B, T}, torch::kLong);
    auto in = inputs.accessor<int64_t, 2>();
    auto tg = targets.accessor<int64_t, 2>();
    for (int64_t b = 0; b < B; ++b) {
      const size_t start = indices[b] * block_;
      for (int64_t t = 0; t < T; ++t) {
        in[b][t] = tokens_[start + t];
        tg[b][t] = tokens_[start + t + 1];
      }
    }
    return {inputs, targets, torch::Tensor(), torch::Tensor()};
  }

 private:
  std::vector<uint16_t> tokens_;
  int block_;
};

}  // namespace

std::unique_ptr<Dataset> make_lm_dataset(const std::string& channel_name, const std::string& dir, int block_size,
                                         int vocab_size, const Tokenizer& tokenizer) {
  // The stream is stored as uint16, as llm.c's shards are.
  if (tokenizer.vocab_size() > 65536 || tokenizer.vocab_size() > vocab_size)
    throw RuntimeFailure("channel " + channel_name + ": the " + tokenizer.kind() + " tokenizer has " +
                         std::to_string(tokenizer.vocab_size()) + " tokens; the model's vocabulary holds " +
                         std::to_string(vocab_size) + (tokenizer.vocab_size() > 65536 ? " (and at most 65536 are supported)" : ""));
  const auto eos = tokenizer.eos_id();
  std::vector<uint16_t> tokens;
  auto append = [&](const std::vector<int32_t>& ids) { tokens.insert(tokens.end(), ids.begin(), ids.end()); };
  for (const auto& file : list_channel(channel_name, dir)) {
    std::vector<uint16_t> part;
    switch (file.kind) {
      case ChannelFileKind::Text:
        append(tokenizer.encode(read_text_file(file.path)));
        if (eos) tokens.push_back(static_cast<uint16_t>(*eos));
        break;
      case ChannelFileKind::JsonLines:
        for (const auto& line : read_json_lines(file.path)) {
          if (line.has_input_ids)
            throw RuntimeFailure(file.path + ":" + std::to_string(line.line_number) +
                                 ": language modelling reads \"text\" lines; give token ids as a .bin shard");
          append(tokenizer.encode(eos ? line.text : line.text + "\n"));
          if (eos) tokens.push_back(static_cast<uint16_t>(*eos));
        }
        break;
      case ChannelFileKind::TokenShard:
        part = read_token_shard(file.path);
        for (uint16_t t : part)
          if (t >= vocab_size)
            throw RuntimeFailure(file.path + ": token " + std::to_string(t) + " is outside the model's vocabulary of " +
                                 std::to_string(vocab_size));
        break;
    }
    tokens.insert(tokens.end(), part.begin(), part.end());
  }
  if (tokens.size() < static_cast<size_t>(block_size) + 1)
    throw RuntimeFailure("channel " + channel_name + ": " + dir + " holds " + std::to_string(tokens.size()) +
                         " tokens, fewer than one block of block_size+1 = " + std::to_string(block_size + 1));
  return std::make_unique<LmDataset>(std::move(tokens), block_size);
}

}  // namespace tandem
