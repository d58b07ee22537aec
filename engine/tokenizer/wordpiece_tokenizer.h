#pragma once
// BERT's tokenizer: BertNormalizer (control characters dropped, whitespace
// unified, CJK characters split, accents stripped and lower-cased for uncased
// models), BertPreTokenizer (whitespace and punctuation split) and WordPiece
// (greedy longest match with "##" continuations, [UNK] for a word with no pieces).

#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/vocabulary.h"

namespace tandem {

struct BertNormalization {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool strip_accents = true;  // tokenizers: when unset, follows lowercase
  bool lowercase = true;
};

class WordPieceTokenizer : public Tokenizer {
 public:
  WordPieceTokenizer(Vocabulary vocab, int32_t unk_id, std::string continuing_prefix, int max_chars_per_word,
                     BertNormalization normalization);

  std::string decode(const std::vector<int32_t>& ids) const override;
  int vocab_size() const override { return vocab_.size(); }
  std::string kind() const override { return "WordPiece"; }

  // The normaliser alone, for tests: UTF-32 in, UTF-32 out.
  std::u32string normalize(std::u32string_view text) const;

 protected:
  void encode_plain(std::string_view text, std::vector<int32_t>& out) const override;

 private:
  void encode_word(std::u32string_view word, std::vector<int32_t>& out) const;

  Vocabulary vocab_;
  int32_t unk_id_;
  std::string prefix_;
  int max_chars_;
  BertNormalization norm_;
};

}  // namespace tandem
