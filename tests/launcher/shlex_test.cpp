#include "launcher/shell/shlex.h"

#include <gtest/gtest.h>

#include "engine/error.h"
#include "tests/common/error_matchers.h"

namespace tandem::launcher {
namespace {

using Words = std::vector<std::string>;

TEST(ShlexQuote, MatchesPythonShlexQuote) {
  EXPECT_EQ(shlex_quote(""), "''");
  EXPECT_EQ(shlex_quote("ddp=True,microbatches=4"), "ddp=True,microbatches=4");
  EXPECT_EQ(shlex_quote("/opt/ml/input@host%x+y:z-w_v.txt"), "/opt/ml/input@host%x+y:z-w_v.txt");
  EXPECT_EQ(shlex_quote("a b"), "'a b'");
  EXPECT_EQ(shlex_quote("x; touch /tmp/tandem-injected"), "'x; touch /tmp/tandem-injected'");
  EXPECT_EQ(shlex_quote("it's"), "'it'\"'\"'s'");
  EXPECT_EQ(shlex_quote("$HOME"), "'$HOME'");
  EXPECT_EQ(shlex_quote("^openib"), "'^openib'");
}

TEST(ShlexSplit, MatchesPythonShlexSplit) {
  EXPECT_EQ(shlex_split("  -x A=1\t-mca  btl ^openib ", "t"), (Words{"-x", "A=1", "-mca", "btl", "^openib"}));
  EXPECT_EQ(shlex_split("-x 'A=a b' \"B=c \\\"d\\\" \\n\"", "t"), (Words{"-x", "A=a b", "B=c \"d\" \\n"}));
  EXPECT_EQ(shlex_split("a\\ b 'c'\"d\"e ''", "t"), (Words{"a b", "cde", ""}));
  EXPECT_EQ(shlex_split("", "t"), Words{});
}

TEST(ShlexSplit, RoundTripsQuotedWords) {
  const Words words = {"x; touch /tmp/tandem-injected", "it's", "", "a\"b", "plain", "$(id)", "back\\slash"};
  EXPECT_EQ(shlex_split(format_command_for_display(words), "t"), words);
}

TEST(ShlexSplit, UnterminatedQuoteNamesTheSource) {
  EXPECT_ERROR(shlex_split("-x 'A=1", "custom_mpi_options"), UsageError, "custom_mpi_options: no closing quotation");
  EXPECT_THROW(shlex_split("abc\\", "t"), UsageError);
}

TEST(FormatCommandForDisplay, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(format_command_for_display({"mpirun", "-mca", "btl", "^openib", "/bin/sh", "-c", "./train --k 'v w'"}),
            "mpirun -mca btl '^openib' /bin/sh -c './train --k '\"'\"'v w'\"'\"''");
}

}  // namespace
}  // namespace tandem::launcher
