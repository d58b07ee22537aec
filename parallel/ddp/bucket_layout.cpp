#include "parallel/ddp/bucket_layout.h"

#include "engine/error.h"

#include <sstream>

namespace tandem::ddp {

BucketLayout layout_buckets(const std::vector<int64_t>& parameter_numels, int64_t element_bytes, int64_t first_bucket_bytes,
                        int64_t bucket_cap_bytes) {
  if (first_bucket_bytes <= 0 || bucket_cap_bytes <= 0)
    throw UsageError("bucket sizes must be positive (first_bucket_mb, bucket_cap_mb)");
  BucketLayout layout;
  layout.bucket_of.assign(parameter_numels.size(), 0);
  Bucket current;
  int64_t cap = first_bucket_bytes;
  for (size_t k = parameter_numels.size(); k-- > 0;) {
    const int64_t n = parameter_numels[k];
    // A parameter never splits: a bucket closes before one that would overflow it
    // (an oversized parameter gets a bucket of its own), and before parameter 0.
    if (!current.slots.empty() && ((current.numel + n) * element_bytes > cap || k == 0)) {
      layout.buckets.push_back(std::move(current));
      current = Bucket{};
      cap = bucket_cap_bytes;
    }
    current.slots.push_back({k, current.numel, n});
    current.numel += n;
    layout.bucket_of[k] = layout.buckets.size();
  }
  if (!current.slots.empty()) layout.buckets.push_back(std::move(current));
  return layout;
}

std::string BucketLayout::describe() const {
  std::ostringstream out;
  out << buckets.size() << " buckets:";
  for (const auto& b : buckets) {
    out << " [" << b.slots.size() << " params, " << b.numel << " elems: ";
    for (const auto& s : b.slots) out << s.parameter << ",";
    out << "]";
  }
  return out.str();
}

}  // namespace tandem::ddp
