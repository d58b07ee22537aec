// The failure and success files are never written through a symlink planted at their name.
#include "launcher/supervisor/no_follow_file.h"

#include <gtest/gtest.h>

#include "tests/common/temp_dir.h"

namespace tandem::launcher {
namespace {
namespace fs = std::filesystem;

TEST(WriteFileNoFollow, WritesAPlainFile) {
  const TempDir dir;
  EXPECT_TRUE(write_file_no_follow(dir.path() / "failure", "reason\n"));
  EXPECT_EQ(dir.read("failure"), "reason\n");
  EXPECT_TRUE(write_file_no_follow(dir.path() / "failure", "shorter"));
  EXPECT_EQ(dir.read("failure"), "shorter");
}

TEST(WriteFileNoFollow, RefusesASymlinkAndLeavesItsTargetAlone) {
  const TempDir dir;
  dir.write("precious", "keep");
  fs::create_symlink(dir.path() / "precious", dir.path() / "failure");
  EXPECT_FALSE(write_file_no_follow(dir.path() / "failure", "overwritten"));
  EXPECT_EQ(dir.read("precious"), "keep");
}

}  // namespace
}  // namespace tandem::launcher
