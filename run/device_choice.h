#pragma once
// Which device this rank computes on, from --device and its local rank: one
// rule for the engine and NCCL (parallel/comm/device_rule.h).

#include <torch/torch.h>

#include <string>

namespace tandem::run {

// "auto", "cpu" or "cuda". UsageError for cuda without a device, or another word.
torch::Device pick_device(const std::string& wanted, int local_rank);

}  // namespace tandem::run
