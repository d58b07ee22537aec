// The bucket layout (parallel/ddp/bucket_layout.h): parameters in reverse order,
// a small first bucket so the first reduction starts early, then buckets up
// to the cap, and a parameter larger than the cap alone in its own.
#include "parallel/ddp/bucket_layout.h"

#include <gtest/gtest.h>

namespace tandem::ddp {
namespace {

TEST(BucketLayout, ReverseOrderSmallFirstBucketThenCapped) {
  // 4-byte elements: first bucket 64 B (16 elems), then 128 B (32 elems).
  auto layout = layout_buckets({10, 20, 5, 12, 4}, 4, 64, 128);
  ASSERT_EQ(layout.buckets.size(), 3u);
  // Reverse order: 4 (4 elems), 3 (12) -> 16 elems fill the first bucket.
  EXPECT_EQ(layout.buckets[0].slots[0].parameter, 4u);
  EXPECT_EQ(layout.buckets[0].slots[1].parameter, 3u);
  EXPECT_EQ(layout.buckets[0].numel, 16);
  EXPECT_EQ(layout.buckets[1].numel, 25);  // params 2 and 1
  EXPECT_EQ(layout.buckets[2].numel, 10);  // param 0
  EXPECT_EQ(layout.bucket_of[0], 2u);
  EXPECT_EQ(layout.buckets[1].slots[1].offset, 5);
}

TEST(BucketLayout, OversizedParameterGetsItsOwnBucket) {
  auto layout = layout_buckets({1000, 2, 3}, 4, 64, 128);
  ASSERT_EQ(layout.buckets.size(), 2u);
  EXPECT_EQ(layout.buckets[1].numel, 1000);
}

// Parameter 0 (the token embedding, whose gradient a tied LM head completes
// only at the end of backward) gets the last bucket to itself even where it
// would have fitted beside the others.
TEST(BucketLayout, FirstRegisteredParameterHasTheLastBucketToItself) {
  // 4-byte elements, first bucket 64 B: parameters 2 and 1 (9 elements) fill
  // 36 B, and parameter 0 (3 elements) would fit, but goes alone.
  const BucketLayout plan = layout_buckets({3, 5, 4}, 4, 64, 128);
  ASSERT_EQ(plan.buckets.size(), 2u);
  EXPECT_EQ(plan.buckets[0].numel, 9);
  ASSERT_EQ(plan.buckets[1].slots.size(), 1u);
  EXPECT_EQ(plan.buckets[1].slots[0].parameter, 0u);
  EXPECT_EQ(plan.bucket_of[0], 1u);
}

TEST(BucketLayout, OneParameterIsOneBucket) {
  const BucketLayout plan = layout_buckets({7}, 4, 64, 128);
  ASSERT_EQ(plan.buckets.size(), 1u);
  EXPECT_EQ(plan.buckets[0].numel, 7);
}

}  // namespace
}  // namespace tandem::ddp
