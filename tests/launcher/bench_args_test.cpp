// `tandem bench`'s command line as pure functions: the flag table, the flags
// passed on to `tandem train`, the checks of each mode, and bad values named by flag.
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
  EXPECT_FALSE(d.block_size);
  EXPECT_EQ(block_size_for(d), 128);
  EXPECT_FALSE(d.quick);
  EXPECT_EQ(d.strategies, "");
  EXPECT_EQ(d.global_batch, 8);
  EXPECT_EQ(d.microbatches, 4);
  EXPECT_EQ(d.processes, 2);
  EXPECT_EQ(d.max_steps, 12);
  EXPECT_EQ(d.rounds, 3);
  EXPECT_TRUE(d.train_flags.empty());
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
  EXPECT_EQ(block_size_for(parse_bench_args({"--predict", "True"})), 1024);
}

TEST(BenchArgs, MeasuringPassesOtherFlagsOnToTrain) {
  const BenchArgs a = parse_bench_args({"--quick", "True", "--output_dir", "runs/bench", "--learning_rate", "0.01",
                                        "--strategies=single,zero_bubble", "--seed=7", "--model_name_or_path",
                                        "gpt-mini", "--max_steps", "20", "--rounds", "2"});
  EXPECT_TRUE(a.quick);
  EXPECT_EQ(a.rounds, 2);
  EXPECT_EQ(a.strategies, "single,zero_bubble");
  EXPECT_EQ(a.model, "gpt-mini");
  EXPECT_EQ(a.train_flags, (std::vector<std::string>{"--learning_rate", "0.01", "--seed=7"}));
  EXPECT_EQ(block_size_for(a), 32);
  EXPECT_EQ(steps_for(a), 12);
  validate_bench_args(a);
  EXPECT_EQ(steps_for(parse_bench_args({"--max_steps", "10"})), 10);
}

TEST(BenchArgs, EachModeRefusesWhatItCannotUse) {
  EXPECT_ERROR(validate_bench_args(parse_bench_args({"--predict", "True"})), UsageError, "--distribution: required");
  EXPECT_ERROR(validate_bench_args(parse_bench_args({"--predict", "True", "--distribution", "{}", "--seed", "1"})),
               UsageError, "tandem bench --predict True: unknown flag --seed");
  EXPECT_ERROR(validate_bench_args(parse_bench_args({"--predict", "True", "--distribution", "{}", "--rounds", "2"})),
               UsageError, "--rounds: only when measuring");
  EXPECT_ERROR(validate_bench_args(parse_bench_args({"--predict", "True", "--distribution", "{}", "--quick", "True"})),
               UsageError, "--quick: only when measuring");
  EXPECT_ERROR(validate_bench_args(parse_bench_args({})), UsageError, "--output_dir: required when measuring");
  EXPECT_ERROR(validate_bench_args(parse_bench_args({"--output_dir", "o", "--probe_message_bytes", "64"})), UsageError,
               "--probe_message_bytes: internal, only with --probe_link True");
  EXPECT_ERROR(validate_bench_args(parse_bench_args({"--predict", "True", "--distribution", "{}",
                                                     "--probe_message_bytes", "64"})),
               UsageError, "--probe_message_bytes: internal, only with --probe_link True");
  EXPECT_ERROR(validate_bench_args(parse_bench_args({"--output_dir", "o", "--distribution", "{}"})), UsageError,
               "--distribution: only with --predict True");
  EXPECT_ERROR(validate_bench_args(parse_bench_args({"--output_dir", "o", "--mp_parameters", "partitions=2"})),
               UsageError, "--mp_parameters: tandem bench sets it for each strategy's run");
}

TEST(BenchArgs, BadValuesNameTheFlag) {
  EXPECT_ERROR(parse_bench_args({"--instance_count", "0"}), UsageError, "--instance_count");
  EXPECT_ERROR(parse_bench_args({"--predict", "yes"}), UsageError, "--predict");
  EXPECT_ERROR(parse_bench_args({"--calibration", "jit"}), UsageError, "--calibration");
  EXPECT_ERROR(parse_bench_args({"--block_size", "nan"}), UsageError, "--block_size");
  EXPECT_ERROR(parse_bench_args({"--max_steps", "1"}), UsageError, "--max_steps");
  EXPECT_ERROR(parse_bench_args({"--rounds", "0"}), UsageError, "--rounds");
  EXPECT_ERROR(parse_bench_args({"--quick"}), UsageError, "--quick needs a value");
}

}  // namespace
}  // namespace tandem::launcher
