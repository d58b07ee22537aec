// The parts every tokenizer shares: added-token matching, truncation, the
// post-processor template and padding.
#include "engine/tokenizer/tokenizer.h"

#include <algorithm>

namespace tandem {

int PostTemplate::special_count(bool is_pair) const {
  const auto& pieces = is_pair ? pair : single;
  return static_cast<int>(std::count_if(pieces.begin(), pieces.end(), [](const TemplatePiece& p) { return p.sequence < 0; }));
}

void Tokenizer::set_added_tokens(std::vector<AddedToken> tokens) {
  tokens.erase(std::remove_if(tokens.begin(), tokens.end(), [](const AddedToken& t) { return t.content.empty(); }),
               tokens.end());
  std::stable_sort(tokens.begin(), tokens.end(),
                   [](const AddedToken& a, const AddedToken& b) { return a.content.size() > b.content.size(); });
  added_ = std::move(tokens);
  starts_added_.fill(false);
  for (const auto& t : added_) starts_added_[static_cast<unsigned char>(t.content[0])] = true;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 1);
  size_t plain_start = 0;
  if (!added_.empty()) {
    for (size_t pos = 0; pos < text.size();) {
      if (!starts_added_[static_cast<unsigned char>(text[pos])]) {
        ++pos;
        continue;
      }
      const AddedToken* hit = nullptr;
      for (const auto& t : added_)
        if (text.compare(pos, t.content.size(), t.content) == 0) {
          hit = &t;
          break;
        }
      if (!hit) {
        ++pos;
        continue;
      }
      if (pos > plain_start) encode_plain(text.substr(plain_start, pos - plain_start), out);
      out.push_back(hit->id);
      pos += hit->content.size();
      plain_start = pos;
    }
  }
  if (plain_start < text.size()) encode_plain(text.substr(plain_start), out);
  return out;
}

namespace {

// Tokenizers' "longest first" for pairs: the shorter input is kept whole when
// the longer can take the rest; otherwise both get half of the room.
void truncate_pair(std::vector<int32_t>& a, std::vector<int32_t>& b, size_t room) {
  if (a.size() + b.size() <= room) return;
  size_t n1 = a.size(), n2 = b.size();
  const bool swap = n1 > n2;
  if (swap) std::swap(n1, n2);
  n2 = n1 > room ? n1 : std::max(n1, room - n1);
  if (n1 + n2 > room) {
    n1 = room / 2;
    n2 = n1 + room % 2;
  }
  if (swap) std::swap(n1, n2);
  a.resize(std::min(a.size(), n1));
  b.resize(std::min(b.size(), n2));
}

}  // namespace

Encoding Tokenizer::encode_for_model(std::string_view text, std::optional<std::string_view> pair,
                                     const EncodeOptions& options) const {
  std::vector<int32_t> seq[2] = {encode(text), pair ? encode(*pair) : std::vector<int32_t>{}};
  const bool is_pair = pair.has_value();
  if (options.max_length > 0) {
    const int specials = template_.special_count(is_pair);
    const size_t room = options.max_length > specials ? static_cast<size_t>(options.max_length - specials) : 0;
    if (is_pair) truncate_pair(seq[0], seq[1], room);
    else if (seq[0].size() > room) seq[0].resize(room);
  }
  Encoding e;
  for (const auto& piece : is_pair ? template_.pair : template_.single) {
    if (piece.sequence < 0) {
      e.ids.push_back(piece.token_id);
      e.type_ids.push_back(piece.type_id);
    } else {
      const auto& s = seq[piece.sequence];
      e.ids.insert(e.ids.end(), s.begin(), s.end());
      e.type_ids.insert(e.type_ids.end(), s.size(), piece.type_id);
    }
  }
  // A template shorter than its specials (max_length below them) still ends at max_length.
  if (options.max_length > 0 && e.ids.size() > static_cast<size_t>(options.max_length)) {
    e.ids.resize(options.max_length);
    e.type_ids.resize(options.max_length);
  }
  e.attention_mask.assign(e.ids.size(), 1);
  if (options.pad_to_max_length && options.max_length > 0) {
    const size_t n = static_cast<size_t>(options.max_length);
    e.ids.resize(n, pad_id_);
    e.type_ids.resize(n, 0);
    e.attention_mask.resize(n, 0);
  }
  return e;
}

}  // namespace tandem
