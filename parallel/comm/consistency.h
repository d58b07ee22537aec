#pragma once
// Catches ranks that disagree about something that must be identical (model
// config, DDP bucket layout) before the disagreement turns into a hang or into
// silently mixed gradients.

#include <string>

#include "parallel/comm/communicator.h"

namespace tandem::comm {

// Collective. Compares a 64-bit hash and the length of `value` across the
// group; when any rank differs, every rank throws the same UsageError naming
// `what`, the ranks that differ from rank 0, and both values (shortened), e.g.
//   bucket layout differs between ranks: rank 0 has "3 buckets: ..."
//   (hash 0x..., 41 bytes) but rank 1 has "4 buckets: ..." (...); ranks that differ from rank 0: 1
// Every rank takes the same branch, so it never hangs.
void check_same_across_ranks(Communicator& group, const std::string& what,
                             const std::string& value);

}  // namespace tandem::comm
