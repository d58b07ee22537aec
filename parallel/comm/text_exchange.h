#pragma once
// Texts compared across ranks: a hash that is the same on every rank and
// platform, and a collective that gathers every rank's first bytes. Shared by
// the consistency checks (consistency.h) and the start agreement (rank_agreement.h).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "parallel/comm/communicator.h"

namespace tandem::comm {

// FNV-1a: the same on every rank and platform, unlike std::hash.
uint64_t text_hash(const std::string& text);

// Collective: every rank's first `width` bytes of `value`, zero-padded, indexed by rank.
std::vector<std::string> gather_prefixes(Communicator& group, const std::string& value, std::size_t width);

// Collective: `root`'s first `length` bytes of `value`, on every rank.
std::string broadcast_text(Communicator& group, const std::string& value, std::size_t length, int root);

}  // namespace tandem::comm
