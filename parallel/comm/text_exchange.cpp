#include "parallel/comm/text_exchange.h"

namespace tandem::comm {

uint64_t text_hash(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

std::vector<std::string> gather_prefixes(Communicator& group, const std::string& value, std::size_t width) {
  std::vector<char> mine(width, '\0');
  value.copy(mine.data(), width);
  std::vector<char> all(width * std::size_t(group.size()));
  group.allgather(mine.data(), all.data(), width, DType::UInt8);
  std::vector<std::string> prefixes;
  for (int r = 0; r < group.size(); ++r) prefixes.emplace_back(all.data() + r * width, width);
  return prefixes;
}

std::string broadcast_text(Communicator& group, const std::string& value, std::size_t length, int root) {
  std::string text(length, '\0');
  if (group.rank() == root) value.copy(text.data(), length);
  group.broadcast(text.data(), length, DType::UInt8, root);
  return text;
}

}  // namespace tandem::comm
