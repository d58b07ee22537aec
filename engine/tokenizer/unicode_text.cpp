// Lookups into the generated tables, and the algorithmic parts of NFD (Hangul
// syllables, canonical ordering) that the tables leave out.
#include "engine/tokenizer/unicode_text.h"

#include "engine/tokenizer/unicode_tables.h"

#include <algorithm>
#include <array>

namespace tandem::unicode {
namespace {

using unicode_tables::CodePointMapping;
using unicode_tables::CodePointRange;

uint8_t range_value(const CodePointRange* table, size_t count, char32_t c) {
  const auto* end = table + count;
  const auto* it = std::upper_bound(table, end, c, [](char32_t v, const CodePointRange& r) { return v < r.first; });
  return it == table ? 0 : (it - 1)->value;
}

const CodePointMapping* find_mapping(const CodePointMapping* table, size_t count, char32_t c) {
  const auto* end = table + count;
  const auto* it = std::lower_bound(table, end, c, [](const CodePointMapping& m, char32_t v) { return m.code_point < v; });
  return it != end && it->code_point == c ? it : nullptr;
}

// Hangul syllable composition constants (Unicode chapter 3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = 19 * kNCount;

}  // namespace

Category category(char32_t c) {
  // ASCII is most of most text: a direct table, filled from the general one once.
  static const auto ascii = [] {
    std::array<Category, 128> t{};
    for (char32_t i = 0; i < 128; ++i)
      t[i] = static_cast<Category>(range_value(unicode_tables::kCategoryRanges, unicode_tables::kCategoryRangeCount, i));
    return t;
  }();
  if (c < 128) return ascii[c];
  if (c > 0x10FFFF) return Category::Cn;
  return static_cast<Category>(range_value(unicode_tables::kCategoryRanges, unicode_tables::kCategoryRangeCount, c));
}

bool is_white_space(char32_t c) {
  switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

uint8_t combining_class(char32_t c) {
  if (c < 0x300) return 0;
  return range_value(unicode_tables::kCombiningClassRanges, unicode_tables::kCombiningClassRangeCount, c);
}

char32_t decode_utf8(std::string_view s, size_t pos, size_t& length) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  length = 1;
  if (b0 < 0x80) return b0;
  int extra;
  char32_t c, min;
  if ((b0 & 0xE0) == 0xC0) extra = 1, c = b0 & 0x1F, min = 0x80;
  else if ((b0 & 0xF0) == 0xE0) extra = 2, c = b0 & 0x0F, min = 0x800;
  else if ((b0 & 0xF8) == 0xF0) extra = 3, c = b0 & 0x07, min = 0x10000;
  else return 0xFFFD;
  if (pos + extra >= s.size()) return 0xFFFD;  // truncated at the end
  for (int i = 1; i <= extra; ++i) {
    const auto b = static_cast<unsigned char>(s[pos + i]);
    if ((b & 0xC0) != 0x80) return 0xFFFD;
    c = (c << 6) | (b & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0xFFFD;
  length = static_cast<size_t>(extra) + 1;
  return c;
}

void append_utf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::u32string decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t pos = 0, n; pos < text.size(); pos += n) out += decode_utf8(text, pos, n);
  return out;
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) append_utf8(c, out);
  return out;
}

std::u32string nfd(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c < 0xC0) {
      out += c;
    } else if (c >= kSBase && c < kSBase + kSCount) {
      const char32_t s = c - kSBase;
      out += kLBase + s / kNCount;
      out += kVBase + (s % kNCount) / kTCount;
      if (s % kTCount != 0) out += kTBase + s % kTCount;
    } else if (const auto* m = find_mapping(unicode_tables::kDecomposition, unicode_tables::kDecompositionCount, c)) {
      out.append(unicode_tables::kDecompositionPool + m->offset, m->length);
    } else {
      out += c;
    }
  }
  // Canonical ordering: each run of marks (class > 0) sorted stably by class.
  for (size_t i = 0; i < out.size();) {
    if (combining_class(out[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < out.size() && combining_class(out[j]) != 0) ++j;
    if (j - i > 1)
      std::stable_sort(out.begin() + i, out.begin() + j,
                       [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = j;
  }
  return out;
}

void append_lowercase(char32_t c, std::u32string& out) {
  if (c < 0x80) {
    out += (c >= 'A' && c <= 'Z') ? c + 32 : c;
  } else if (const auto* m = find_mapping(unicode_tables::kLowercase, unicode_tables::kLowercaseCount, c)) {
    out.append(unicode_tables::kLowercasePool + m->offset, m->length);
  } else {
    out += c;
  }
}

}  // namespace tandem::unicode
