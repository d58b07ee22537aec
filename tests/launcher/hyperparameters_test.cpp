#include "launcher/sagemaker/hyperparameters.h"

#include <gtest/gtest.h>

#include "engine/error.h"

namespace tandem::launcher {
namespace {

using nlohmann::json;
using Words = std::vector<std::string>;

// The toolkit's to_cmd_args cases (docs/sagemaker-contract.md §3.3).
TEST(HyperparametersToArgv, MatchesToolkitMapping) {
  EXPECT_EQ(hyperparameters_to_argv(json::parse(R"({"da-sh": 1, "da_der": 2, "e": 4.0, "f": true, "g": false})")),
            (Words{"--da-sh", "1", "--da_der", "2", "-e", "4.0", "-f", "True", "-g", "False"}));
  EXPECT_EQ(hyperparameters_to_argv(json::parse(R"({"list": ["1", ["2", "3"]], "none": null})")),
            (Words{"--list", "['1', ['2', '3']]", "--none", ""}));
  EXPECT_EQ(hyperparameters_to_argv(json::parse(R"({"mp_parameters": {"partitions": 2, "ddp": true, "microbatches": 4,
      "pipeline": "interleaved", "placement_strategy": "spread", "optimize": "speed"}})")),
            (Words{"--mp_parameters",
                   "ddp=True,microbatches=4,optimize=speed,partitions=2,pipeline=interleaved,placement_strategy=spread"}));
}

TEST(HyperparametersToArgv, DropsSagemakerAndReservedNames) {
  const json hps = json::parse(R"({"epochs": 3, "sagemaker_program": "train.py", "sagemaker_mpi_enabled": true,
      "_tuning_objective_metric": "loss", "default_user_module_name": "x", "model_name": "gpt2"})");
  EXPECT_EQ(hyperparameters_to_argv(hps), (Words{"--epochs", "3", "--model_name", "gpt2"}));
  EXPECT_EQ(framework_parameters(hps), json::parse(R"({"sagemaker_mpi_enabled": true})"));
  EXPECT_EQ(user_hyperparameters(hps), json::parse(R"({"epochs": 3, "model_name": "gpt2"})"));
}

TEST(HyperparametersToArgv, ShellMetacharactersStayOneToken) {
  const auto argv = hyperparameters_to_argv(json::parse(R"({"name": "x; touch /tmp/tandem-injected"})"));
  EXPECT_EQ(argv, (Words{"--name", "x; touch /tmp/tandem-injected"}));
}

TEST(DecodeHyperparameters, JsonDecodesWithRawFallback) {
  const json file = json::parse(R"({"epochs": "3", "lr": "0.0001", "sagemaker_program": "\"train_engine\"",
      "mp_parameters": "{\"partitions\": 2, \"ddp\": true}", "raw": "gpt2", "flag": "True", "number": 5})");
  EXPECT_EQ(decode_hyperparameters(file, "hyperparameters.json"),
            json::parse(R"({"epochs": 3, "lr": 0.0001, "sagemaker_program": "train_engine",
                "mp_parameters": {"partitions": 2, "ddp": true}, "raw": "gpt2", "flag": "True", "number": 5})"));
  EXPECT_THROW(decode_hyperparameters(json::array(), "hyperparameters.json"), RuntimeFailure);
}

TEST(EncodeHyperparameters, WritesWhatTheSdkSends) {
  const json hps = json::parse(R"({"epochs": 3, "model": "gpt2", "mp_parameters": {"partitions": 2, "ddp": true}})");
  const json encoded = encode_hyperparameters(hps);
  EXPECT_EQ(encoded, json::parse(R"({"epochs": "3", "model": "\"gpt2\"",
      "mp_parameters": "{\"ddp\": true, \"partitions\": 2}"})"));
  EXPECT_EQ(decode_hyperparameters(encoded, "x"), hps);
}

}  // namespace
}  // namespace tandem::launcher
