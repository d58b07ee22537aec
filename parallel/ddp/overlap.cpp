// The overlap arithmetic of overlap.h, kept pure so a test can feed it times.
#include "parallel/ddp/overlap.h"

#include <algorithm>

namespace tandem::ddp {

OverlapStats measure_overlap(const std::vector<BucketTiming>& buckets,
                             std::chrono::steady_clock::time_point backward_end) {
  using Seconds = std::chrono::duration<double>;
  OverlapStats stats;
  for (const auto& b : buckets) {
    const auto ended = std::max(b.ended, b.launched);
    stats.comm_seconds += Seconds(ended - b.launched).count();
    stats.hidden_seconds += std::max(0.0, Seconds(std::min(ended, backward_end) - b.launched).count());
    stats.exposed_seconds = std::max(stats.exposed_seconds, Seconds(ended - backward_end).count());
  }
  return stats;
}

}  // namespace tandem::ddp
