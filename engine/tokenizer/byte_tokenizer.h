#pragma once
// Byte-level tokenizer: every byte is a token (vocabulary 256), so any text,
// multi-byte UTF-8 included, round-trips exactly and no vocabulary file is needed.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tandem {

class ByteTokenizer {
 public:
  static constexpr int kVocabSize = 256;
  static constexpr int kPadId = 0;  // NUL never occurs in text, so it pads classification inputs

  std::vector<uint16_t> encode(std::string_view text) const {
    std::vector<uint16_t> ids(text.size());
    for (size_t i = 0; i < text.size(); ++i) ids[i] = static_cast<unsigned char>(text[i]);
    return ids;
  }

  std::string decode(const std::vector<uint16_t>& ids) const {
    std::string out(ids.size(), '\0');
    for (size_t i = 0; i < ids.size(); ++i) out[i] = static_cast<char>(ids[i] & 0xFF);
    return out;
  }
};

}  // namespace tandem
