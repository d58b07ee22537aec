#include "launcher/supervisor/rank_log.h"

#include <gtest/gtest.h>

namespace tandem::launcher {
namespace {

using Lines = std::vector<std::string>;

TEST(RankLog, TagNamesTheHostAsTheToolkitComputesIt) {
  EXPECT_EQ(add_host_to_rank_tag("[1,5]<stdout>:  loss = 2.5", 8), "[1,mpirank:5,algo-1]<stdout>:  loss = 2.5");
  EXPECT_EQ(add_host_to_rank_tag("[1,8]<stderr>:boom", 8), "[1,mpirank:8,algo-2]<stderr>:boom");
  EXPECT_EQ(add_host_to_rank_tag("[12,15]<stdout>:", 4), "[12,mpirank:15,algo-4]<stdout>:");
}

TEST(RankLog, OtherLinesAreLeftAlone) {
  for (const std::string line : {"", "plain text", "[1,5]", "[1,5]<stdin>:x", "[a,5]<stdout>:x", "[1,]<stdout>:x",
                                 " [1,5]<stdout>:x", "[1,12345678901]<stdout>:x", "--------------"}) {
    EXPECT_EQ(add_host_to_rank_tag(line, 2), line);
  }
}

TEST(RankLog, SplitterCutsLinesAcrossReads) {
  LineSplitter splitter;
  EXPECT_EQ(splitter.feed("ab", 2), Lines{});
  EXPECT_EQ(splitter.feed("c\nde\n\nf", 7), (Lines{"abc", "de", ""}));
  EXPECT_EQ(splitter.finish(), Lines{"f"});
  EXPECT_EQ(splitter.finish(), Lines{});
}

}  // namespace
}  // namespace tandem::launcher
