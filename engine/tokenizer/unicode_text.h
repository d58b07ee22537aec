#pragma once
// Unicode text as the tokenizers see it: UTF-8 decoding that never fails
// (an invalid byte reads as U+FFFD), general categories, NFD and lower-casing,
// on the generated tables of unicode_tables.cpp. No ICU.

#include <cstdint>
#include <string>
#include <string_view>

namespace tandem::unicode {

enum class Category : uint8_t { Lu, Ll, Lt, Lm, Lo, Mn, Mc, Me, Nd, Nl, No, Pc, Pd, Ps, Pe,
                                Pi, Pf, Po, Sm, Sc, Sk, So, Zs, Zl, Zp, Cc, Cf, Cs, Co, Cn };

Category category(char32_t c);
inline bool is_letter(char32_t c) { return category(c) <= Category::Lo; }
inline bool is_number(char32_t c) { auto k = category(c); return k >= Category::Nd && k <= Category::No; }
inline bool is_punctuation(char32_t c) { auto k = category(c); return k >= Category::Pc && k <= Category::Po; }
inline bool is_other(char32_t c) { return category(c) >= Category::Cc; }  // Cc, Cf, Cs, Co, Cn
inline bool is_nonspacing_mark(char32_t c) { return category(c) == Category::Mn; }
// The White_Space property (what Rust's char::is_whitespace and regex \s test).
bool is_white_space(char32_t c);
uint8_t combining_class(char32_t c);

// Decodes the code point at text[pos], sets `length` to its byte count (1 for
// an invalid or truncated sequence, which decodes to U+FFFD).
char32_t decode_utf8(std::string_view text, size_t pos, size_t& length);
void append_utf8(char32_t c, std::string& out);
std::u32string decode_utf8(std::string_view text);
std::string encode_utf8(std::u32string_view text);

// Canonical decomposition (NFD): full decompositions, Hangul syllables into
// jamo, then combining marks put in canonical order.
std::u32string nfd(std::u32string_view text);
// Full lower-case mapping, code point by code point (one may become several).
void append_lowercase(char32_t c, std::u32string& out);

}  // namespace tandem::unicode
