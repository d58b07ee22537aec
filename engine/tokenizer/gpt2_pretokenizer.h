#pragma once
// GPT-2's pre-tokenizer pattern, written out by hand rather than with a regex
// engine (std::regex knows no Unicode classes):
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// Splits UTF-8 text into the byte ranges the pattern matches, in order; an
// invalid byte counts as a symbol of its own.

#include <string_view>
#include <utility>
#include <vector>

namespace tandem {

// Appends [begin, end) byte offsets into `text`, one pair per match.
void split_gpt2_pieces(std::string_view text, std::vector<std::pair<size_t, size_t>>& pieces);

}  // namespace tandem
