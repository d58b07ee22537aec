// The flag table of `tandem train`: SageMaker's argv form, SM_* fallbacks,
// every refusal naming the flag, --help from the table, and
// validate_train_args() as a pure function.
#include "engine/config/train_args.h"
#include "engine/error.h"
#include "engine/train/lr_schedule.h"
#include "tests/common/error_matchers.h"
#include "tests/common/temp_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <ostream>

namespace tandem {
namespace {

TEST(TrainArgs, SageMakerFormAndSeedSpellings) {
  auto a = parse_train_args({"--epochs", "3", "--model-dir", "/m", "--per_device_train_batch_size", "4", "--do_eval",
                             "False", "--learning_rate", "0.0001", "--max_steps", "-1", "--mp_parameters",
                             "ddp=True,partitions=2"},
                            {});
  EXPECT_EQ(a.epochs, 3);
  EXPECT_EQ(a.model_dir, "/m");
  EXPECT_EQ(a.per_device_train_batch_size, 4);
  EXPECT_FALSE(a.do_eval);
  EXPECT_DOUBLE_EQ(a.learning_rate, 0.0001);
  EXPECT_EQ(a.max_steps, -1);
  EXPECT_EQ(a.mp_parameters, "ddp=True,partitions=2");
  EXPECT_TRUE(a.was_set("model_dir"));
  EXPECT_FALSE(a.was_set("test_dir"));
}

TEST(TrainArgs, DefaultsComeFromSageMakerVariables) {
  auto a = parse_train_args({}, {{"SM_MODEL_DIR", "/opt/ml/model"},
                                 {"SM_CHANNEL_TRAIN", "/opt/ml/input/data/train"},
                                 {"SM_OUTPUT_DATA_DIR", "/opt/ml/output/data"}});
  EXPECT_EQ(a.model_dir, "/opt/ml/model");
  EXPECT_EQ(a.training_dir, "/opt/ml/input/data/train");
  EXPECT_EQ(a.output_data_dir, "/opt/ml/output/data");
  EXPECT_EQ(a.test_dir, "data/test");
}

// The checkpoint folder default lies in the /opt/ml that SM_MODEL_DIR names:
// `tandem launch --local` emulates one per host, and the machine's real
// /opt/ml/checkpoints, if any, is never written by such a rank.
TEST(TrainArgs, CheckpointDefaultFollowsTheEmulatedOptMl) {
  TempDir dir;
  const auto with_model_dir = [&](const std::string& model_dir) {
    return parse_train_args({}, {{"SM_MODEL_DIR", model_dir}}).output_dir;
  };
  EXPECT_EQ(with_model_dir(dir.file("algo-1/model")), "checkpoints");  // no checkpoints folder there
  std::filesystem::create_directories(dir.path() / "algo-1/checkpoints");
  EXPECT_EQ(with_model_dir(dir.file("algo-1/model")), dir.file("algo-1/checkpoints"));
  EXPECT_EQ(with_model_dir(dir.file("algo-1/model/")), dir.file("algo-1/checkpoints"));
}

// A default-constructed TrainArgs is the table's defaults: no second copy of them exists.
TEST(TrainArgs, DefaultConstructedIsTheTablesDefaults) {
  const TrainArgs d;
  const TrainArgs parsed = parse_train_args({}, {});
  EXPECT_EQ(d.block_size, 128);
  EXPECT_EQ(d.per_device_train_batch_size, 8);
  EXPECT_EQ(d.learning_rate, 5e-5);
  EXPECT_EQ(d.adam_epsilon, 1e-8);
  EXPECT_EQ(d.save_steps, 500);
  EXPECT_EQ(d.seed, 42);
  EXPECT_TRUE(d.do_train && d.do_eval && d.tf32 && !d.bf16 && !d.fp16);
  EXPECT_EQ(d.lr_scheduler_type, "linear");
  EXPECT_EQ(d.model_dir, "model");
  EXPECT_EQ(d.bucket_cap_mb, 25);
  EXPECT_EQ(d.first_bucket_mb, 1.0);
  EXPECT_TRUE(d.explicitly_set.empty());
  // Field by field, the same as parsing an empty command line.
  EXPECT_EQ(d.epochs, parsed.epochs);
  EXPECT_EQ(d.max_steps, parsed.max_steps);
  EXPECT_EQ(d.progress_bar, parsed.progress_bar);
  EXPECT_EQ(d.output_dir, parsed.output_dir);
  // Every default passes its own flag's checks, and so does the cross-flag validation.
  validate_train_args(d);
}

struct TrainRefusal {
  const char* name;
  std::vector<std::string> argv;
  const char* message;  // the whole message
};

void PrintTo(const TrainRefusal& row, std::ostream* os) { *os << row.name; }

class TrainRefusals : public testing::TestWithParam<TrainRefusal> {};

// Parsing and validate_train_args(), as `tandem train` runs them before
// touching a file. Rows marked "was e2e" ran the binary in tests/e2e/bad_input_test.cpp.
TEST_P(TrainRefusals, OneMessageNamingTheFlag) {
  EXPECT_EQ(error_message_of<UsageError>([&] { validate_train_args(parse_train_args(GetParam().argv, {})); }), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Train, TrainRefusals,
    testing::Values(
        TrainRefusal{"UnknownHyperparameter", {"--no_such", "1"}, "unknown hyperparameter --no_such (see tandem train --help)"},
        TrainRefusal{"MisspeltHyperparameter", {"--learning_rte", "0.1"},  // was e2e
                     "unknown hyperparameter --learning_rte (did you mean --learning_rate?) (see tandem train --help)"},
        TrainRefusal{"NotAnInteger", {"--max_steps", "ten"}, "--max_steps: \"ten\" is not an integer"},
        TrainRefusal{"NotANumber", {"--learning_rate", "1e"}, "--learning_rate: \"1e\" is not a number"},
        TrainRefusal{"WordForANumber", {"--learning_rate", "fast"}, "--learning_rate: \"fast\" is not a number"},  // was e2e
        TrainRefusal{"NaN", {"--learning_rate", "nan"}, "--learning_rate: \"nan\" is not a finite number"},
        TrainRefusal{"NegativeLearningRate", {"--lr", "-0.1"},
                     "--learning_rate: \"-0.1\" is out of range (expected a number >= 0)"},
        TrainRefusal{"BetaOfOne", {"--adam_beta2", "1"},
                     "--adam_beta2: \"1\" is out of range (expected a number >= 0 and < 1)"},
        TrainRefusal{"ZeroAdamEpsilon", {"--adam_epsilon", "0"},  // 0/0 on a zero gradient: NaN weights
                     "--adam_epsilon: \"0\" is out of range (expected a number > 0)"},
        TrainRefusal{"NegativeBeta1", {"--adam_beta1", "-0.1"},
                     "--adam_beta1: \"-0.1\" is out of range (expected a number >= 0 and < 1)"},
        TrainRefusal{"NegativeWeightDecay", {"--weight_decay", "-1"},
                     "--weight_decay: \"-1\" is out of range (expected a number >= 0)"},
        TrainRefusal{"NegativeMaxGradNorm", {"--max_grad_norm", "-1"},
                     "--max_grad_norm: \"-1\" is out of range (expected a number >= 0)"},
        TrainRefusal{"NegativeNonfiniteLimit", {"--max_nonfinite_steps", "-1"},
                     "--max_nonfinite_steps: \"-1\" is out of range (expected an integer >= 0)"},
        TrainRefusal{"HugeMaxSteps", {"--max_steps", "1e12"}, "--max_steps: \"1e12\" is not an integer"},
        TrainRefusal{"NotABoolean", {"--do_train", "yes"}, "--do_train: \"yes\" is not a boolean (expected True or False)"},
        TrainRefusal{"BareSwitchAtTheEnd", {"--do_train"}, "--do_train needs a value (True or False)"},
        TrainRefusal{"BareSwitchBeforeAFlag", {"--do_eval", "--seed", "1"}, "--do_eval needs a value (True or False)"},  // was e2e
        TrainRefusal{"StrayWord", {"stray"},
                     "unexpected argument \"stray\" (expected --key value pairs; see tandem train --help)"},
        TrainRefusal{"ZeroBlockSize", {"--block_size", "0"}, "--block_size: \"0\" is out of range (expected an integer >= 1)"},
        TrainRefusal{"ZeroBatch", {"--train_batch_size", "0"},
                     "--per_device_train_batch_size: \"0\" is out of range (expected an integer >= 1)"},
        TrainRefusal{"ZeroAccumulation", {"--gradient_accumulation_steps", "0"},
                     "--gradient_accumulation_steps: \"0\" is out of range (expected an integer >= 1)"},
        TrainRefusal{"ZeroLoggingSteps", {"--logging_steps", "0"},
                     "--logging_steps: \"0\" is out of range (expected an integer >= 1)"},
        TrainRefusal{"UnknownTask", {"--task", "seq2seq"}, "--task: \"seq2seq\" is not one of lm, classification, auto"},
        TrainRefusal{"UnknownSchedule", {"--lr_scheduler_type", "step"},
                     "--lr_scheduler_type: \"step\" is not one of linear, cosine, constant, constant_with_warmup"},
        TrainRefusal{"UnknownDevice", {"--device", "tpu"}, "--device: \"tpu\" is not one of auto, cpu, cuda"},
        TrainRefusal{"UnknownBackend", {"--comm_backend", "gloo"}, "--comm_backend: \"gloo\" is not one of auto, mpi, nccl"},
        TrainRefusal{"ProgressBarWord", {"--progress_bar", "sometimes"},
                     "--progress_bar: \"sometimes\" is not one of auto, True, False"},
        // validate_train_args: more than one flag.
        TrainRefusal{"Bf16AndFp16", {"--bf16", "True", "--fp16", "True"},  // was e2e
                     "--bf16 True and --fp16 True: choose one mixed precision"},
        TrainRefusal{"NoEpochsNoSteps", {"--epochs", "0"}, "--epochs must be positive when --max_steps is not set"},
        TrainRefusal{"NcclOnTheCpu", {"--comm_backend", "nccl", "--device", "cpu"},
                     "--comm_backend nccl with --device cpu: NCCL moves CUDA memory; use --comm_backend mpi or auto"}),
    [](const testing::TestParamInfo<TrainRefusal>& info) { return std::string(info.param.name); });

TEST(TrainArgs, ValidCombinationsPass) {
  validate_train_args(parse_train_args({"--epochs", "0", "--max_steps", "5"}, {}));
  validate_train_args(parse_train_args({"--bf16", "True", "--comm_backend", "nccl", "--device", "cuda"}, {}));
  EXPECT_EQ(parse_train_args({"--progress_bar", "false"}, {}).progress_bar, "False");
}

TEST(TrainArgs, HelpListsEveryFlagWithItsDefault) {
  const auto help = train_help({});
  for (const auto& name : train_flag_table().names()) EXPECT_NE(help.find("  --" + name), std::string::npos) << name;
  EXPECT_NE(help.find("(default: 42)"), std::string::npos);
  EXPECT_NE(help.find("--per_device_train_batch_size, --train-batch-size, --train_batch_size <int>  (>= 1)"),
            std::string::npos) << help;
  EXPECT_NE(help.find("--task <lm|classification|auto>"), std::string::npos) << help;
  EXPECT_NE(train_help({{"SM_MODEL_DIR", "/opt/ml/model"}}).find("(default: /opt/ml/model)"), std::string::npos);
}

TEST(LrSchedule, WarmupThenDecay) {
  LrSchedule linear{"linear", 1.0, 10, 110};
  EXPECT_DOUBLE_EQ(linear.at(0), 0.0);
  EXPECT_DOUBLE_EQ(linear.at(5), 0.5);
  EXPECT_DOUBLE_EQ(linear.at(10), 1.0);
  EXPECT_DOUBLE_EQ(linear.at(60), 0.5);
  EXPECT_DOUBLE_EQ(linear.at(110), 0.0);
  LrSchedule cosine{"cosine", 1.0, 0, 100};
  EXPECT_DOUBLE_EQ(cosine.at(0), 1.0);
  EXPECT_NEAR(cosine.at(50), 0.5, 1e-12);
  EXPECT_NEAR(cosine.at(100), 0.0, 1e-12);
  EXPECT_THROW((LrSchedule{"step", 1.0, 0, 1}.validate()), UsageError);
}

}  // namespace
}  // namespace tandem
