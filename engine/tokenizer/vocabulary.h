#pragma once
// A token vocabulary: id by string (looked up with string views, so the hot
// loops build no strings) and string by id.

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tandem {

class Vocabulary {
 public:
  // Throws RuntimeFailure naming `origin` for a negative or repeated id.
  void add(std::string token, int32_t id, const std::string& origin);
  // -1 when absent.
  int32_t find(std::string_view token) const {
    auto it = ids_.find(token);
    return it == ids_.end() ? -1 : it->second;
  }
  const std::string& token(int32_t id) const;  // empty for an id no token has
  int size() const { return max_id_ + 1; }  // the largest id + 1

 private:
  std::deque<std::string> storage_;  // stable addresses for the views in ids_
  std::unordered_map<std::string_view, int32_t> ids_;
  std::unordered_map<int32_t, const std::string*> by_id_;  // a map: ids from a file may have gaps
  int32_t max_id_ = -1;
};

}  // namespace tandem
