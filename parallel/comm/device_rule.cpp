#include "parallel/comm/device_rule.h"

#include "engine/error.h"

namespace tandem::comm {

int cuda_device_for(int local_rank, int visible) {
  if (visible <= 0) throw UsageError("no CUDA device is visible to this process");
  if (visible == 1) return 0;
  if (local_rank < 0 || local_rank >= visible)
    throw UsageError("local rank " + std::to_string(local_rank) + " has no GPU of its own: this process sees " +
                     std::to_string(visible) + " CUDA devices; run at most " + std::to_string(visible) +
                     " processes per host, or give each rank one device with CUDA_VISIBLE_DEVICES");
  return local_rank;
}

}  // namespace tandem::comm
