// Checkpointed RNG state: restoring it replays the same random numbers, a
// state for a CUDA device this process cannot see is skipped (a CPU resume of
// a GPU run), and a malformed entry is named.
#include "engine/error.h"
#include "engine/train/rng_state.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

TEST(RngState, RestoringReplaysTheSameNumbers) {
  torch::manual_seed(5);
  const NamedTensors saved = capture_rng_state();
  ASSERT_EQ(saved.front().first, "cpu");
  EXPECT_EQ(static_cast<int>(saved.size()), 1 + static_cast<int>(torch::cuda::device_count()));
  const auto first = torch::rand({8});
  restore_rng_state(saved, "rng_state_0.safetensors");
  EXPECT_TRUE(torch::equal(torch::rand({8}), first));
}

TEST(RngState, CudaStatesOfDevicesNotVisibleAreSkipped) {
  NamedTensors saved = capture_rng_state();
  const int visible = static_cast<int>(torch::cuda::device_count());
  // A GPU run's checkpoint on a machine with fewer (here maybe no) devices.
  saved.emplace_back("cuda:" + std::to_string(visible), torch::zeros({16}, torch::kUInt8));
  EXPECT_NO_THROW(restore_rng_state(saved, "rng_state_0.safetensors"));
}

TEST(RngState, AnEntryThatNamesNoDeviceIsNamed) {
  try {
    restore_rng_state({{"gpu-zero", torch::zeros({16}, torch::kUInt8)}}, "ckpt/rng_state_3.safetensors");
    FAIL() << "accepted";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("ckpt/rng_state_3.safetensors"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("gpu-zero"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tandem
