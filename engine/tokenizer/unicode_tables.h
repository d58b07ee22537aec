#pragma once
// Unicode property tables generated from Python's unicodedata by
// scripts/gen_unicode_tables.py (unicode_tables.cpp); read through
// engine/tokenizer/unicode_text.h, which adds the algorithmic parts.

#include <cstddef>
#include <cstdint>

namespace tandem::unicode_tables {

// A run of code points sharing one value, from `first` up to the next row's `first`.
struct CodePointRange {
  char32_t first;
  uint8_t value;
};

// `length` code points starting at `offset` in the matching pool.
struct CodePointMapping {
  char32_t code_point;
  uint32_t offset;
  uint32_t length;
};

extern const CodePointRange kCategoryRanges[];  // value: index into UnicodeCategory
extern const size_t kCategoryRangeCount;
extern const CodePointRange kCombiningClassRanges[];
extern const size_t kCombiningClassRangeCount;
extern const CodePointMapping kDecomposition[];  // full canonical decomposition, sorted by code point
extern const char32_t kDecompositionPool[];
extern const size_t kDecompositionCount;
extern const CodePointMapping kLowercase[];  // full lower-case mapping, sorted by code point
extern const char32_t kLowercasePool[];
extern const size_t kLowercaseCount;

}  // namespace tandem::unicode_tables
