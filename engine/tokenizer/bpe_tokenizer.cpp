// Byte-level BPE. A piece starts as one symbol per byte; the adjacent pair
// with the lowest merge rank (leftmost on ties) merges until none is left,
// which is the order tokenizers' BPE model merges in.
#include "engine/tokenizer/bpe_tokenizer.h"

#include "engine/error.h"
#include "engine/tokenizer/gpt2_pretokenizer.h"
#include "engine/tokenizer/unicode_text.h"

#include <limits>

namespace tandem {
namespace {

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

}  // namespace

const std::array<std::string, 256>& ByteLevelBpeTokenizer::byte_chars() {
  // Printable Latin-1 bytes stand for themselves; the others take code points from U+0100 on, in byte order.
  static const auto table = [] {
    std::array<std::string, 256> t;
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      unicode::append_utf8(printable ? static_cast<char32_t>(b) : next++, t[b]);
    }
    return t;
  }();
  return table;
}

ByteLevelBpeTokenizer::ByteLevelBpeTokenizer(Vocabulary vocab, const std::vector<BpeMerge>& merges,
                                             bool add_prefix_space, bool ignore_merges, const std::string& origin)
    : vocab_(std::move(vocab)), add_prefix_space_(add_prefix_space), ignore_merges_(ignore_merges) {
  for (int b = 0; b < 256; ++b) byte_ids_[b] = vocab_.find(byte_chars()[b]);
  merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& m = merges[rank];
    const int32_t left = vocab_.find(m.left), right = vocab_.find(m.right), merged = vocab_.find(m.left + m.right);
    if (left < 0 || right < 0 || merged < 0)
      throw RuntimeFailure(origin + ": merge " + std::to_string(rank) + " (\"" + m.left + " " + m.right +
                           "\") uses a token the vocabulary lacks");
    // A repeated pair keeps its first (best) rank, as tokenizers' map does.
    merges_.emplace(pair_key(left, right), MergeResult{static_cast<int32_t>(rank), merged});
  }
}

void ByteLevelBpeTokenizer::encode_plain(std::string_view text, std::vector<int32_t>& out) const {
  std::string prefixed;
  if (add_prefix_space_ && !text.empty() && text[0] != ' ') {
    prefixed.reserve(text.size() + 1);
    prefixed.append(" ").append(text);
    text = prefixed;
  }
  std::vector<std::pair<size_t, size_t>> pieces;
  pieces.reserve(text.size() / 4 + 1);
  split_gpt2_pieces(text, pieces);
  for (const auto& [begin, end] : pieces) encode_piece(text.substr(begin, end - begin), out);
}

void ByteLevelBpeTokenizer::encode_piece(std::string_view bytes, std::vector<int32_t>& out) const {
  if (ignore_merges_) {
    std::string mapped;
    for (char b : bytes) mapped += byte_chars()[static_cast<unsigned char>(b)];
    const int32_t whole = vocab_.find(mapped);
    if (whole >= 0) {
      out.push_back(whole);
      return;
    }
  }
  // Symbols of this piece; a byte the vocabulary lacks is dropped (no unknown token in byte-level BPE).
  int32_t local[64];
  std::vector<int32_t> heap;
  int32_t* sym = local;
  if (bytes.size() > 64) {
    heap.resize(bytes.size());
    sym = heap.data();
  }
  size_t n = 0;
  for (char b : bytes) {
    const int32_t id = byte_ids_[static_cast<unsigned char>(b)];
    if (id >= 0) sym[n++] = id;
  }
  while (n > 1) {
    int32_t best_rank = std::numeric_limits<int32_t>::max(), best_id = -1;
    size_t best_at = 0;
    for (size_t i = 0; i + 1 < n; ++i) {
      auto it = merges_.find(pair_key(sym[i], sym[i + 1]));
      if (it != merges_.end() && it->second.rank < best_rank) {
        best_rank = it->second.rank;
        best_id = it->second.id;
        best_at = i;
      }
    }
    if (best_id < 0) break;
    sym[best_at] = best_id;
    for (size_t i = best_at + 1; i + 1 < n; ++i) sym[i] = sym[i + 1];
    --n;
  }
  out.insert(out.end(), sym, sym + n);
}

std::string ByteLevelBpeTokenizer::decode(const std::vector<int32_t>& ids) const {
  // Token text is byte characters; map each character back to its byte.
  static const auto byte_of = [] {
    std::unordered_map<char32_t, unsigned char> m;
    for (int b = 0; b < 256; ++b) m[unicode::decode_utf8(byte_chars()[b])[0]] = static_cast<unsigned char>(b);
    return m;
  }();
  std::string text;
  for (int32_t id : ids) {
    for (char32_t c : unicode::decode_utf8(vocab_.token(id))) {
      auto it = byte_of.find(c);
      if (it != byte_of.end()) text += static_cast<char>(it->second);
      else unicode::append_utf8(c, text);  // an added token's own text
    }
  }
  return text;
}

}  // namespace tandem
