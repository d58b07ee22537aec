#pragma once
// How gradients are packed for data-parallel reduction, as PyTorch DDP and
// SMDDP do: parameters in reverse registration order (roughly the order
// backward produces their gradients), cut into buckets; the first bucket is
// small (about 1 MiB) so communication starts early, the rest are capped
// (25 MiB). The first-registered parameter (the token embedding, which a tied
// LM head also uses) gets the last bucket to itself: its gradient is complete
// only when backward reaches the input, and in a shared bucket it would hold
// back every gradient packed with it. Pure: the same parameter sizes give the
// same layout on every rank.

#include <cstdint>
#include <string>
#include <vector>

namespace tandem::ddp {

struct BucketSlot {
  size_t parameter;  // index in registration order
  int64_t offset;    // element offset inside the bucket
  int64_t numel;
};

struct Bucket {
  std::vector<BucketSlot> slots;
  int64_t numel = 0;
};

struct BucketLayout {
  std::vector<Bucket> buckets;
  std::vector<size_t> bucket_of;  // parameter index -> bucket index
  // "3 buckets: [12 params, 262144 elems] ..." — compared across ranks at start.
  std::string describe() const;
};

BucketLayout layout_buckets(const std::vector<int64_t>& parameter_numels, int64_t element_bytes, int64_t first_bucket_bytes,
                        int64_t bucket_cap_bytes);

}  // namespace tandem::ddp
