#pragma once
// How much of a step's gradient communication backward hid. Per bucket:
//   hidden  = min(end, backward end) - launch   (0 when it ended before launch)
//   exposed = end - backward end                (0 when it ended before backward)
// where `end` is stamped where the communication finished (Work::completed_at)
// or, on backends that cannot tell, when the host saw it finished. Counting
// from launch to the moment someone looked, as a "done before finish()" test
// would, calls a bucket hidden that was merely not waited for.

#include <chrono>
#include <vector>

namespace tandem::ddp {

struct BucketTiming {
  std::chrono::steady_clock::time_point launched, ended;
};

struct OverlapStats {
  double comm_seconds = 0;     // Σ over buckets of (end - launch)
  double hidden_seconds = 0;   // Σ over buckets of the part before backward ended
  double exposed_seconds = 0;  // wall time from backward's end to the last bucket's end
  double hidden_share() const { return comm_seconds > 0 ? hidden_seconds / comm_seconds : 0; }
};

OverlapStats measure_overlap(const std::vector<BucketTiming>& buckets,
                             std::chrono::steady_clock::time_point backward_end);

}  // namespace tandem::ddp
