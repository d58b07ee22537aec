#pragma once
// Which CUDA device a process uses: the one rule that the engine (where the
// model lives) and NCCL (where the communicator runs) both follow.

#include <string>

namespace tandem::comm {

// The device index for this process among the `visible` devices it can see:
//  - one visible device (per-rank CUDA_VISIBLE_DEVICES, or ranks sharing one
//    GPU over the MPI backend): device 0;
//  - otherwise the local rank, which must be below `visible`.
// Throws UsageError when the host runs more processes than it shows GPUs.
int cuda_device_for(int local_rank, int visible);

}  // namespace tandem::comm
