#pragma once
// GPT-2's byte-level BPE: the ByteLevel pre-tokenizer (GPT-2's split pattern,
// then every byte mapped to a printable character) and BPE merges applied by
// rank, as Hugging Face tokenizers' BPE model does with no dropout.

#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/vocabulary.h"

#include <array>
#include <unordered_map>

namespace tandem {

struct BpeMerge {
  std::string left, right;
};

class ByteLevelBpeTokenizer : public Tokenizer {
 public:
  // Throws RuntimeFailure naming `origin` for a merge whose parts or result
  // the vocabulary lacks.
  ByteLevelBpeTokenizer(Vocabulary vocab, const std::vector<BpeMerge>& merges, bool add_prefix_space,
                        bool ignore_merges, const std::string& origin);

  std::string decode(const std::vector<int32_t>& ids) const override;
  int vocab_size() const override { return vocab_.size(); }
  std::string kind() const override { return "byte-level BPE"; }

  // The printable character GPT-2 maps each byte to (UTF-8).
  static const std::array<std::string, 256>& byte_chars();

 protected:
  void encode_plain(std::string_view text, std::vector<int32_t>& out) const override;

 private:
  struct MergeResult {
    int32_t rank;
    int32_t id;
  };
  void encode_piece(std::string_view bytes, std::vector<int32_t>& out) const;

  Vocabulary vocab_;
  std::unordered_map<uint64_t, MergeResult> merges_;  // (left id << 32 | right id) -> rank and merged id
  std::array<int32_t, 256> byte_ids_{};              // -1 where the vocabulary lacks the byte
  bool add_prefix_space_;
  bool ignore_merges_;
};

}  // namespace tandem
