#pragma once
// Byte-level tokenizer: every byte is a token (vocabulary 256), so any text,
// multi-byte UTF-8 included, round-trips exactly and no vocabulary file is
// needed. The presets (gpt-tiny, encoder-tiny...) read text with it.

#include "engine/tokenizer/tokenizer.h"

namespace tandem {

class ByteTokenizer : public Tokenizer {
 public:
  static constexpr int kVocabSize = 256;
  static constexpr int kPadId = 0;  // NUL never occurs in text, so it pads classification inputs

  ByteTokenizer() { set_pad_id(kPadId); }

  std::string decode(const std::vector<int32_t>& ids) const override {
    std::string out(ids.size(), '\0');
    for (size_t i = 0; i < ids.size(); ++i) out[i] = static_cast<char>(ids[i] & 0xFF);
    return out;
  }
  int vocab_size() const override { return kVocabSize; }
  std::string kind() const override { return "byte"; }

 protected:
  void encode_plain(std::string_view text, std::vector<int32_t>& out) const override {
    for (char c : text) out.push_back(static_cast<unsigned char>(c));
  }
};

}  // namespace tandem
