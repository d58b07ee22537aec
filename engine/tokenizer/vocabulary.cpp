// Vocabulary storage and its checks.
#include "engine/tokenizer/vocabulary.h"

#include "engine/error.h"

#include <algorithm>

namespace tandem {

void Vocabulary::add(std::string token, int32_t id, const std::string& origin) {
  if (id < 0) throw RuntimeFailure(origin + ": token \"" + token + "\" has negative id " + std::to_string(id));
  storage_.push_back(std::move(token));
  const std::string& stored = storage_.back();
  if (!ids_.emplace(stored, id).second) {
    storage_.pop_back();  // a repeated token (added tokens often repeat vocabulary entries): the first id stays
    return;
  }
  auto [it, fresh] = by_id_.emplace(id, &stored);
  if (!fresh)
    throw RuntimeFailure(origin + ": id " + std::to_string(id) + " is given to both \"" + *it->second + "\" and \"" +
                         stored + "\"");
  max_id_ = std::max(max_id_, id);
}

const std::string& Vocabulary::token(int32_t id) const {
  static const std::string none;
  auto it = by_id_.find(id);
  return it == by_id_.end() ? none : *it->second;
}

}  // namespace tandem
