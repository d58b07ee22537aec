#pragma once
// Device communicators order their work after the stream torch computes on.
// This is where that stream comes from: torch's current CUDA stream, asked at
// every operation (a caller that switches streams is followed).

#include "parallel/comm/communicator.h"

namespace tandem::parallel {

// No-op in a build without CUDA.
void follow_torch_streams(comm::Communicator& group);

}  // namespace tandem::parallel
