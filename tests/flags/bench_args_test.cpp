// The benchmarks' flag tables: their defaults, the shape the comparison
// scripts pass (benchmarks/bench_shape.sh), sizes, and refusals.
#include "benchmarks/bench_args.h"
#include "engine/error.h"
#include "tests/common/error_matchers.h"

#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace tandem::bench {
namespace {

// benchmarks/bench_shape.sh: what compare_*.sh pass to dp_scaling_bench.
const std::vector<std::string> kScriptShape = {"--layers", "4", "--d",      "256", "--heads", "4", "--T", "256",
                                               "--batch",  "8", "--steps", "15",  "--warmup", "3", "--threads", "1"};

TEST(BenchArgs, TheComparisonScriptsShapeParses) {
  const auto d = dp_scaling_flag_table().parse(kScriptShape);
  EXPECT_EQ(d.layers, 4);
  EXPECT_EQ(d.T, 256);
  EXPECT_EQ(d.steps, 15);
  EXPECT_EQ(d.batch, 8);
  EXPECT_EQ(d.first_bucket_kb, 1024);
  EXPECT_EQ(d.bucket_cap_kb, 25 << 10);
  EXPECT_EQ(dp_scaling_flag_table().parse({"--bucket_cap_kb", "1024"}).bucket_cap_kb, 1024);
}

TEST(BenchArgs, DefaultsAreThoseTheBenchmarksDocument) {
  const auto t = dp_scaling_flag_table().parse({});
  EXPECT_EQ(t.steps, 15);
  EXPECT_EQ(t.threads, 1);
  const auto p = pipeline_flag_table().parse({});
  EXPECT_EQ(p.layers, 8);
  EXPECT_EQ(p.T, 128);
  EXPECT_EQ(p.microbatch, 2);
  EXPECT_EQ(p.trace_dir, "");  // main() puts it beside the binary
  const auto a = allreduce_flag_table().parse({});
  EXPECT_EQ(a.min_bytes, 8u);
  EXPECT_EQ(a.max_bytes, std::size_t(64) << 20);
  EXPECT_EQ(a.step_factor, 2u);
  EXPECT_EQ(a.iters, 20);
  EXPECT_EQ(a.warmup, 5);
  EXPECT_EQ(a.json_path, "");
}

TEST(BenchArgs, AllreduceSizesTakeBinarySuffixes) {
  const auto a = allreduce_flag_table().parse({"--min_bytes", "4K", "--max_bytes", "1G", "--json", "out.json"});
  EXPECT_EQ(a.min_bytes, 4096u);
  EXPECT_EQ(a.max_bytes, std::size_t(1) << 30);
  EXPECT_EQ(a.json_path, "out.json");
  validate_size_sweep_args(a);
}

struct BenchRefusal {
  const char* name;
  std::function<void()> run;
  const char* message;
};

void PrintTo(const BenchRefusal& row, std::ostream* os) { *os << row.name; }

class BenchRefusals : public testing::TestWithParam<BenchRefusal> {};

TEST_P(BenchRefusals, OneLineNamingTheFlag) {
  EXPECT_EQ(error_message_of<UsageError>([&] { GetParam().run(); }), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Bench, BenchRefusals,
    testing::Values(
        // bench_common.h's atoi() read "8x" as 8 and "many" as 0; unknown flags were ignored.
        BenchRefusal{"TrailingGarbage", [] { dp_scaling_flag_table().parse({"--batch", "8x"}); },
                     "--batch: \"8x\" is not an integer"},
        BenchRefusal{"ZeroSteps", [] { dp_scaling_flag_table().parse({"--steps", "0"}); },
                     "--steps: \"0\" is out of range (expected an integer >= 1)"},
        BenchRefusal{"UnknownFlag", [] { pipeline_flag_table().parse({"--microbatches", "4"}); },
                     "unknown flag --microbatches (did you mean --microbatch?) (see pipeline_bench --help)"},
        BenchRefusal{"StepFactorOne", [] { allreduce_flag_table().parse({"--step_factor", "1"}); },
                     "--step_factor: \"1\" is out of range (expected an integer from 2 to 1000000)"},
        BenchRefusal{"MinBytesBelowOneFloat", [] { allreduce_flag_table().parse({"--min_bytes", "2"}); },
                     "--min_bytes: \"2\" is out of range (expected a size in bytes >= 4 (8, 4K, 64M, 1G))"},
        BenchRefusal{"MaxBelowMin",
                     [] { validate_size_sweep_args(allreduce_flag_table().parse({"--min_bytes", "1M", "--max_bytes", "4K"})); },
                     "--max_bytes 4096 is below --min_bytes 1048576"}),
    [](const testing::TestParamInfo<BenchRefusal>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace tandem::bench
