#include "run/device_choice.h"

#include "engine/error.h"
#include "parallel/comm/device_rule.h"

namespace tandem::run {

torch::Device pick_device(const std::string& wanted, int local_rank) {
  if (wanted == "cpu") return torch::kCPU;
  if (wanted == "cuda" || wanted == "auto") {
    if (torch::cuda::is_available())
      return torch::Device(torch::kCUDA, comm::cuda_device_for(local_rank, static_cast<int>(torch::cuda::device_count())));
    if (wanted == "cuda") throw UsageError("--device cuda: no CUDA device is available to this process");
    return torch::kCPU;
  }
  throw UsageError("--device: \"" + wanted + "\" is not one of auto, cpu, cuda");
}

}  // namespace tandem::run
