#include "parallel/world/torch_streams.h"

#ifdef TANDEM_HAVE_CUDA
#include <c10/cuda/CUDAStream.h>
#endif

namespace tandem::parallel {

void follow_torch_streams(comm::Communicator& group) {
#ifdef TANDEM_HAVE_CUDA
  group.set_compute_stream_provider(
      [] { return static_cast<void*>(c10::cuda::getCurrentCUDAStream().stream()); });
#else
  (void)group;
#endif
}

}  // namespace tandem::parallel
