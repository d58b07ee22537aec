// The pattern's alternatives are tried in order at each position, as the regex
// engine would; each branch below is one alternative.
#include "engine/tokenizer/gpt2_pretokenizer.h"

#include "engine/tokenizer/unicode_text.h"

namespace tandem {
namespace {

enum class CharClass : unsigned char { Letter, Number, Space, Other };

CharClass classify(char32_t c) {
  if (c < 0x80) {
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return CharClass::Letter;
    if (c >= '0' && c <= '9') return CharClass::Number;
    if (c == ' ' || (c >= 0x09 && c <= 0x0D)) return CharClass::Space;
    return CharClass::Other;  // punctuation, symbols and control characters
  }
  if (unicode::is_white_space(c)) return CharClass::Space;
  if (unicode::is_letter(c)) return CharClass::Letter;
  if (unicode::is_number(c)) return CharClass::Number;
  return CharClass::Other;
}

}  // namespace

void split_gpt2_pieces(std::string_view text, std::vector<std::pair<size_t, size_t>>& pieces) {
  // Code points with their byte offsets and classes.
  struct Symbol {
    char32_t c;
    size_t byte;
    CharClass cls;
  };
  std::vector<Symbol> sym;
  sym.reserve(text.size() + 1);
  for (size_t pos = 0, n; pos < text.size(); pos += n) {
    const char32_t c = unicode::decode_utf8(text, pos, n);
    sym.push_back({c, pos, classify(c)});
  }
  const size_t n = sym.size();
  auto byte_at = [&](size_t i) { return i < n ? sym[i].byte : text.size(); };
  auto emit = [&](size_t begin, size_t end) { pieces.emplace_back(byte_at(begin), byte_at(end)); };

  for (size_t i = 0; i < n;) {
    // 's 't 'm 'd 're 've 'll
    if (sym[i].c == '\'' && i + 1 < n) {
      const char32_t a = sym[i + 1].c, b = i + 2 < n ? sym[i + 2].c : 0;
      size_t len = 0;
      if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) len = 3;
      else if (a == 's' || a == 't' || a == 'm' || a == 'd') len = 2;
      if (len) {
        emit(i, i + len);
        i += len;
        continue;
      }
    }
    // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': an optional space, then a run of one class.
    const size_t k = (sym[i].c == ' ' && i + 1 < n) ? i + 1 : i;
    if (sym[k].cls != CharClass::Space) {
      const CharClass cls = sym[k].cls;
      size_t end = k + 1;
      while (end < n && sym[end].cls == cls) ++end;
      emit(i, end);
      i = end;
      continue;
    }
    // '\s+(?!\S)': whitespace not followed by a non-space, i.e. all of a run
    // at the end of text, else the run but its last character (which goes
    // with the next word); '\s+' when that leaves nothing.
    size_t end = i + 1;
    while (end < n && sym[end].cls == CharClass::Space) ++end;
    if (end < n && end - i > 1) --end;
    emit(i, end);
    i = end;
  }
}

}  // namespace tandem
