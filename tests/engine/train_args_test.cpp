// The flag table: SageMaker's argv form, SM_* fallbacks, errors naming the flag.
#include "engine/config/train_args.h"
#include "engine/error.h"
#include "engine/train/lr_schedule.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

std::string usage_error(const std::vector<std::string>& argv) {
  try {
    parse_train_args(argv, {});
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

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

TEST(TrainArgs, BadInputsNameTheFlag) {
  EXPECT_EQ(usage_error({"--no_such", "1"}), "unknown hyperparameter --no_such (see tandem train --help)");
  EXPECT_EQ(usage_error({"--max_steps", "ten"}), "--max_steps: \"ten\" is not an integer");
  EXPECT_EQ(usage_error({"--learning_rate", "1e"}), "--learning_rate: \"1e\" is not a number");
  EXPECT_EQ(usage_error({"--do_train", "yes"}), "--do_train: \"yes\" is not a boolean (expected True or False)");
  EXPECT_EQ(usage_error({"--do_train"}), "--do_train needs a value (True or False)");
  EXPECT_EQ(usage_error({"--do_train", "--seed", "1"}), "--do_train needs a value (True or False)");
  EXPECT_NE(usage_error({"stray"}).find("unexpected argument \"stray\""), std::string::npos);
}

TEST(TrainArgs, HelpListsEveryFlagWithItsDefault) {
  const auto help = train_help({});
  for (const char* flag : {"--model_dir", "--training_dir", "--per_device_train_batch_size", "--lr_scheduler_type",
                           "--save_total_limit", "--distribution", "--mp_parameters"})
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  EXPECT_NE(help.find("(default: 42)"), std::string::npos);
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
