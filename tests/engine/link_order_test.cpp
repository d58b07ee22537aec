// PyPI's libtorch exports statically linked std::filesystem symbols
// (pytorch/pytorch issue 133437): an executable that needs libtorch before
// libstdc++ binds std::filesystem::remove_all to libtorch's copy and crashes.
// The build puts libstdc++ first in every link; these tests hold it there.
#include "tests/common/temp_dir.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace tandem {
namespace {

std::vector<std::string> needed_libraries(const std::string& binary) {
  std::vector<std::string> out;
  FILE* pipe = popen(("readelf -d " + binary + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return out;
  char line[512];
  while (std::fgets(line, sizeof line, pipe)) {
    const std::string s(line);
    const auto open = s.find("Shared library: ["), close = s.rfind(']');
    if (open != std::string::npos && close != std::string::npos)
      out.push_back(s.substr(open + 17, close - open - 17));
  }
  pclose(pipe);
  return out;
}

void expect_libstdcxx_before_torch(const std::string& binary) {
  const auto needed = needed_libraries(binary);
  ASSERT_FALSE(needed.empty()) << "readelf -d " << binary << " listed no libraries (is binutils installed?)";
  size_t stdcxx = needed.size(), first_torch = needed.size();
  for (size_t i = 0; i < needed.size(); ++i) {
    if (needed[i].rfind("libstdc++", 0) == 0 && stdcxx == needed.size()) stdcxx = i;
    if ((needed[i].rfind("libtorch", 0) == 0 || needed[i].rfind("libc10", 0) == 0) && first_torch == needed.size())
      first_torch = i;
  }
  ASSERT_LT(stdcxx, needed.size()) << binary << " does not need libstdc++";
  EXPECT_LT(stdcxx, first_torch) << binary << " needs " << needed[first_torch] << " before libstdc++";
}

TEST(LinkOrder, TandemAndThisTestNeedLibstdcxxBeforeLibtorch) {
  expect_libstdcxx_before_torch(TANDEM_BINARY);
  // This test binary itself (resolved here: in readelf's shell /proc/self would be readelf).
  expect_libstdcxx_before_torch(std::filesystem::read_symlink("/proc/self/exe").string());
}

TEST(LinkOrder, FilesystemRemoveAllWorksBesideLibtorch) {
  // The call that crashed with the wrong order: remove_all with an error_code on a tree.
  TempDir dir;
  dir.write("a/b/c.txt", "x");
  std::error_code ec;
  EXPECT_EQ(std::filesystem::remove_all(dir.path() / "a", ec), 3u);
  EXPECT_FALSE(ec) << ec.message();
}

}  // namespace
}  // namespace tandem
