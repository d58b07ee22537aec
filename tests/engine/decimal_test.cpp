#include "engine/metrics/decimal.h"

#include <gtest/gtest.h>

#include <regex>

namespace tandem {
namespace {

TEST(PlainDecimal, NeverUsesExponentNotation) {
  EXPECT_EQ(plain_decimal(0.00005), "0.00005");
  EXPECT_EQ(plain_decimal(6.25e-6), "0.00000625");
  EXPECT_EQ(plain_decimal(123.456789), "123.4568");
  EXPECT_EQ(plain_decimal(2.0), "2");
  EXPECT_EQ(plain_decimal(-0.5), "-0.5");
  EXPECT_EQ(plain_decimal(0.0), "0");
  EXPECT_EQ(plain_decimal(1e9), "1000000000");
}

TEST(PlainDecimal, SageMakerRegexCapturesTheNumber) {
  const std::regex re(R"(eval_loss.*=\D*(.*?)$)");
  std::smatch m;
  const std::string line = "  eval_loss = " + plain_decimal(2.345678e-3);
  ASSERT_TRUE(std::regex_search(line, m, re));
  EXPECT_DOUBLE_EQ(std::stod(m[1].str()), 0.002345678);
}

}  // namespace
}  // namespace tandem
