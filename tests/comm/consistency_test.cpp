#include "parallel/comm/consistency.h"

#include <gtest/gtest.h>

#include "engine/error.h"
#include "parallel/comm/runtime.h"

namespace tandem::comm {
namespace {

TEST(CheckSameAcrossRanks, PassesWhenEveryRankAgrees) {
  EXPECT_NO_THROW(check_same_across_ranks(world(), "model config", "gpt2-tiny: 4 layers x 256"));
  EXPECT_NO_THROW(check_same_across_ranks(world(), "empty value", ""));
}

TEST(CheckSameAcrossRanks, EveryRankReportsTheRankThatDiffers) {
  Communicator& world = comm::world();
  if (world.size() < 2) GTEST_SKIP() << "needs two ranks";
  const int odd_one = world.size() - 1;
  const std::string layout = world.rank() == odd_one ? "4 buckets: 25165824 25165824 1048576 4096"
                                                     : "3 buckets: 25165824 25165824 1052672";
  std::string message;
  try {
    check_same_across_ranks(world, "bucket layout", layout);
  } catch (const UsageError& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("bucket layout differs between ranks: rank 0 has \"3 buckets: 25165824 "
                         "25165824 1052672\" (hash 0x"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("but rank " + std::to_string(odd_one) + " has \"4 buckets:"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("ranks that differ from rank 0: " + std::to_string(odd_one)),
            std::string::npos)
      << message;
}

TEST(CheckSameAcrossRanks, LongValuesAreShortenedAndLengthsCompared) {
  Communicator& world = comm::world();
  if (world.size() < 2) GTEST_SKIP() << "needs two ranks";
  // Same first 300 bytes, different lengths: only the length tells them apart
  // within what is shown.
  const std::string value = std::string(300, 'x') + (world.rank() == 1 ? "y" : "");
  std::string message;
  try {
    check_same_across_ranks(world, "model config", value);
  } catch (const UsageError& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("...\" (hash 0x"), std::string::npos) << message;
  EXPECT_NE(message.find(", 300 bytes)"), std::string::npos) << message;
  EXPECT_NE(message.find(", 301 bytes)"), std::string::npos) << message;
  EXPECT_EQ(message.find(std::string(201, 'x')), std::string::npos) << "not shortened";
}

}  // namespace
}  // namespace tandem::comm
