// `tandem bench`'s command line as pure functions: the flag table, the refusal
// of the measuring mode that is not built yet, and bad values named by flag.
#include "engine/error.h"
#include "launcher/cli/bench_args.h"
#include "tests/common/error_matchers.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tandem::launcher {
namespace {

TEST(BenchArgs, DefaultsAndEveryFlag) {
  const BenchArgs d = parse_bench_args({});
  EXPECT_FALSE(d.predict);
  EXPECT_EQ(d.cluster, "ml.p3dn.24xlarge");
  EXPECT_EQ(d.instance_count, 1);
  EXPECT_FALSE(d.processes_per_host);
  EXPECT_EQ(d.model, "gpt2-124m");
  EXPECT_EQ(d.block_size, 1024);
  EXPECT_FALSE(d.per_device_train_batch_size);
  EXPECT_EQ(d.calibration, "eager");
  EXPECT_EQ(d.sweep_rows, 10);
  EXPECT_EQ(d.output_dir, "");

  const BenchArgs a = parse_bench_args({"--predict", "True", "--cluster", "ml.p5.48xlarge", "--instance_count", "2",
                                        "--processes_per_host", "4", "--model_name_or_path", "gpt-mini",
                                        "--distribution", "{}", "--block_size", "64", "--per_device_train_batch_size",
                                        "8", "--calibration", "compile", "--sweep_rows", "3", "--output_dir", "out"});
  EXPECT_TRUE(a.predict);
  EXPECT_EQ(a.cluster, "ml.p5.48xlarge");
  EXPECT_EQ(a.instance_count, 2);
  EXPECT_EQ(a.processes_per_host, 4);
  EXPECT_EQ(a.model, "gpt-mini");
  EXPECT_EQ(a.distribution, "{}");
  EXPECT_EQ(a.block_size, 64);
  EXPECT_EQ(a.per_device_train_batch_size, 8);
  EXPECT_EQ(a.calibration, "compile");
  EXPECT_EQ(a.sweep_rows, 3);
  EXPECT_EQ(a.output_dir, "out");
  validate_bench_args(a);
}

TEST(BenchArgs, WithoutPredictTheMeasuringModeIsRefused) {
  EXPECT_ERROR(validate_bench_args(parse_bench_args({"--distribution", "{}"})), UsageError,
               "tandem bench: the measuring mode (running strategies) is not built yet; --predict True");
  EXPECT_ERROR(validate_bench_args(parse_bench_args({"--predict", "True"})), UsageError, "--distribution: required");
}

TEST(BenchArgs, BadValuesNameTheFlag) {
  EXPECT_ERROR(parse_bench_args({"--instance_count", "0"}), UsageError, "--instance_count");
  EXPECT_ERROR(parse_bench_args({"--predict", "yes"}), UsageError, "--predict");
  EXPECT_ERROR(parse_bench_args({"--calibration", "jit"}), UsageError, "--calibration");
  EXPECT_ERROR(parse_bench_args({"--block_size", "nan"}), UsageError, "--block_size");
}

}  // namespace
}  // namespace tandem::launcher
