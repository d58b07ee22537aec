// CRC-32C against its published check value, and the file and block-wise
// forms against the one-shot form.
#include "engine/checkpoint/crc32c.h"
#include "engine/error.h"
#include "tests/common/temp_dir.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace tandem {
namespace {

TEST(Crc32c, MatchesTheStandardCheckValue) {
  // RFC 3720 (iSCSI), appendix B.4: CRC-32C of "123456789".
  EXPECT_EQ(crc32c_extend(0, "123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c_extend(0, "", 0), 0u);
  const std::string zeros(32, '\0');
  EXPECT_EQ(crc32c_extend(0, zeros.data(), zeros.size()), 0x8A9136AAu);  // RFC 3720 B.4: 32 zero bytes
}

TEST(Crc32c, PiecewiseAndFileFormsAgreeWithOneShot) {
  std::mt19937 gen(7);
  std::string data(3 * 1000 * 1000 + 13, '\0');  // crosses the file reader's 1 MiB blocks
  for (auto& c : data) c = static_cast<char>(gen());
  const uint32_t whole = crc32c_extend(0, data.data(), data.size());
  uint32_t pieces = 0;
  for (size_t at = 0; at < data.size(); at += 777) pieces = crc32c_extend(pieces, data.data() + at, std::min<size_t>(777, data.size() - at));
  EXPECT_EQ(pieces, whole);
  TempDir dir;
  EXPECT_EQ(crc32c_of_file(dir.write("blob", data).string()), whole);
  data[1234567] ^= 1;
  EXPECT_NE(crc32c_extend(0, data.data(), data.size()), whole);
}

TEST(Crc32c, AMissingFileIsNamed) {
  try {
    crc32c_of_file("/nonexistent/blob");
    ADD_FAILURE() << "no error";
  } catch (const RuntimeFailure& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/blob: cannot be read (No such file or directory)");
  }
}

}  // namespace
}  // namespace tandem
