#include "parallel/comm/consistency.h"

#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "engine/error.h"
#include "parallel/comm/text_exchange.h"

namespace tandem::comm {

namespace {

// Values are shown (and gathered) up to this many bytes; hash and length tell the rest.
constexpr std::size_t kShown = 200;

std::string quote(const std::string& prefix, std::size_t length, uint64_t hash) {
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, " (hash 0x%016" PRIx64 ", %zu bytes)", hash, length);
  const std::string shown = prefix.substr(0, std::min(length, kShown));
  return "\"" + shown + (length > kShown ? "...\"" : "\"") + suffix;
}

}  // namespace

void check_same_across_ranks(Communicator& any_group, const std::string& what,
                             const std::string& value) {
  // The values live in host memory: a device backend's bootstrap carries them.
  Communicator& group = any_group.host_group();
  const int64_t mine[2] = {int64_t(text_hash(value)), int64_t(value.size())};
  std::vector<int64_t> all(2 * std::size_t(group.size()));
  group.allgather(mine, all.data(), 2, DType::Int64);

  std::vector<int> differing;
  std::size_t longest = 0;
  for (int r = 0; r < group.size(); ++r) {
    if (all[2 * r] != all[0] || all[2 * r + 1] != all[1]) differing.push_back(r);
    longest = std::max(longest, std::size_t(all[2 * r + 1]));
  }
  if (differing.empty()) return;

  // Every rank saw the same table, so all of them reach this second collective.
  const std::vector<std::string> prefixes =
      gather_prefixes(group, value, std::max<std::size_t>(1, std::min(longest, kShown)));
  const int first = differing.front();
  std::string ranks;
  for (int r : differing) ranks += (ranks.empty() ? "" : ", ") + std::to_string(r);
  throw UsageError(
      what + " differs between ranks: rank 0 has " +
      quote(prefixes[0], std::size_t(all[1]), uint64_t(all[0])) + " but rank " +
      std::to_string(first) + " has " +
      quote(prefixes[first], std::size_t(all[2 * first + 1]), uint64_t(all[2 * first])) +
      "; ranks that differ from rank 0: " + ranks);
}

}  // namespace tandem::comm
