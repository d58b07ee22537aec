// BertNormalizer, BertPreTokenizer and WordPiece with the semantics of
// Hugging Face tokenizers (normalizers/bert.rs, pre_tokenizers/bert.rs,
// models/wordpiece), on the generated Unicode tables.
#include "engine/tokenizer/wordpiece_tokenizer.h"

#include "engine/tokenizer/unicode_text.h"

namespace tandem {
namespace {

bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// Tab, newline and carriage return count as whitespace, not as control characters.
bool is_bert_whitespace(char32_t c) { return c == '\t' || c == '\n' || c == '\r' || unicode::is_white_space(c); }
bool is_bert_control(char32_t c) { return c != '\t' && c != '\n' && c != '\r' && unicode::is_other(c); }
// ASCII symbols such as $ + < = > ^ ` | ~ split words as punctuation does.
bool is_bert_punctuation(char32_t c) {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126) ||
         unicode::is_punctuation(c);
}

}  // namespace

WordPieceTokenizer::WordPieceTokenizer(Vocabulary vocab, int32_t unk_id, std::string continuing_prefix,
                                       int max_chars_per_word, BertNormalization normalization)
    : vocab_(std::move(vocab)),
      unk_id_(unk_id),
      prefix_(std::move(continuing_prefix)),
      max_chars_(max_chars_per_word),
      norm_(normalization) {}

std::u32string WordPieceTokenizer::normalize(std::u32string_view text) const {
  std::u32string s;
  s.reserve(text.size() + 8);
  for (char32_t c : text) {
    if (norm_.clean_text) {
      if (c == 0 || c == 0xFFFD || is_bert_control(c)) continue;
      if (is_bert_whitespace(c)) c = ' ';
    }
    if (norm_.handle_chinese_chars && is_chinese_char(c)) {
      s += ' ';
      s += c;
      s += ' ';
    } else {
      s += c;
    }
  }
  if (norm_.strip_accents) {
    bool ascii = true;
    for (char32_t c : s) ascii &= c < 0x80;
    if (!ascii) {
      std::u32string decomposed = unicode::nfd(s);
      s.clear();
      for (char32_t c : decomposed)
        if (!unicode::is_nonspacing_mark(c)) s += c;
    }
  }
  if (norm_.lowercase) {
    std::u32string lower;
    lower.reserve(s.size());
    for (char32_t c : s) unicode::append_lowercase(c, lower);
    s.swap(lower);
  }
  return s;
}

void WordPieceTokenizer::encode_plain(std::string_view text, std::vector<int32_t>& out) const {
  const std::u32string s = normalize(unicode::decode_utf8(text));
  size_t word_start = 0;
  auto flush = [&](size_t end) {
    if (end > word_start) encode_word(std::u32string_view(s).substr(word_start, end - word_start), out);
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (unicode::is_white_space(s[i])) {
      flush(i);
      word_start = i + 1;
    } else if (is_bert_punctuation(s[i])) {
      flush(i);
      encode_word(std::u32string_view(s).substr(i, 1), out);
      word_start = i + 1;
    }
  }
  flush(s.size());
}

void WordPieceTokenizer::encode_word(std::u32string_view word, std::vector<int32_t>& out) const {
  if (static_cast<int>(word.size()) > max_chars_) {
    out.push_back(unk_id_);
    return;
  }
  // UTF-8 of the word, with the byte offset where each code point starts.
  std::string utf8;
  std::vector<size_t> starts;
  starts.reserve(word.size() + 1);
  for (char32_t c : word) {
    starts.push_back(utf8.size());
    unicode::append_utf8(c, utf8);
  }
  starts.push_back(utf8.size());

  const size_t first_piece = out.size();
  std::string candidate;
  for (size_t begin = 0; begin < word.size();) {
    int32_t found = -1;
    size_t end = word.size();
    for (; end > begin; --end) {
      const std::string_view piece(utf8.data() + starts[begin], starts[end] - starts[begin]);
      if (begin == 0) {
        found = vocab_.find(piece);
      } else {
        candidate.assign(prefix_).append(piece);
        found = vocab_.find(candidate);
      }
      if (found >= 0) break;
    }
    if (found < 0) {
      out.resize(first_piece);
      out.push_back(unk_id_);
      return;
    }
    out.push_back(found);
    begin = end;
  }
}

std::string WordPieceTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string text;
  for (int32_t id : ids) {
    const std::string& token = vocab_.token(id);
    if (!prefix_.empty() && token.compare(0, prefix_.size(), prefix_) == 0) {
      text += token.substr(prefix_.size());
    } else {
      if (!text.empty()) text += ' ';
      text += token;
    }
  }
  return text;
}

}  // namespace tandem
