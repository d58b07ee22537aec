#include "launcher/sagemaker/training_environment.h"

#include <gtest/gtest.h>

namespace tandem::launcher {
namespace {

using nlohmann::json;

TrainingEnvironmentSpec p4d_spec() {
  TrainingEnvironmentSpec spec;
  spec.config.resource.current_host = "algo-2";
  spec.config.resource.hosts = {"algo-1", "algo-2"};
  spec.config.resource.current_instance_type = "ml.p4d.24xlarge";
  spec.config.hyperparameters = json::parse(R"({"epochs": 3, "model": "gpt2", "batch-size": 16,
      "mp_parameters": {"ddp": true, "microbatches": 4, "optimize": "speed", "partitions": 2,
                        "pipeline": "interleaved", "placement_strategy": "spread"},
      "sagemaker_program": "train_engine", "sagemaker_mpi_enabled": true,
      "sagemaker_mpi_num_of_processes_per_host": 8, "sagemaker_mpi_custom_mpi_options": "",
      "sagemaker_distributed_dataparallel_enabled": false, "sagemaker_instance_type": "ml.p4d.24xlarge",
      "sagemaker_region": "us-west-2"})");
  spec.config.input_data_config = json::parse(R"({"train": {"TrainingInputMode": "File"}, "test": {"TrainingInputMode": "File"}})");
  spec.num_gpus = 8;
  spec.num_cpus = 96;
  return spec;
}

TEST(SagemakerEnvironment, MatchesTheToolkitVariables) {
  auto env = sagemaker_environment(p4d_spec());
  EXPECT_EQ(env["SM_HOSTS"], R"(["algo-1","algo-2"])");
  EXPECT_EQ(env["SM_CURRENT_HOST"], "algo-2");
  EXPECT_EQ(env["SM_NUM_GPUS"], "8");
  EXPECT_EQ(env["SM_NUM_CPUS"], "96");
  EXPECT_EQ(env["SM_NETWORK_INTERFACE_NAME"], "eth0");
  EXPECT_EQ(env["SM_HPS"], R"({"batch-size":16,"epochs":3,"model":"gpt2","mp_parameters":{"ddp":true,"microbatches":4,"optimize":"speed","partitions":2,"pipeline":"interleaved","placement_strategy":"spread"}})");
  EXPECT_EQ(env["SM_HP_EPOCHS"], "3");
  EXPECT_EQ(env["SM_HP_MODEL"], "gpt2");
  EXPECT_EQ(env["SM_HP_BATCH-SIZE"], "16");
  EXPECT_EQ(env["SM_HP_MP_PARAMETERS"],
            R"({"ddp":true,"microbatches":4,"optimize":"speed","partitions":2,"pipeline":"interleaved","placement_strategy":"spread"})");
  EXPECT_EQ(env.count("SM_HP_SAGEMAKER_PROGRAM"), 0u);
  EXPECT_EQ(env["SM_CHANNELS"], R"(["test","train"])");
  EXPECT_EQ(env["SM_CHANNEL_TRAIN"], "/opt/ml/input/data/train");
  EXPECT_EQ(env["SM_CHANNEL_TEST"], "/opt/ml/input/data/test");
  EXPECT_EQ(env["SM_MODEL_DIR"], "/opt/ml/model");
  EXPECT_EQ(env["SM_OUTPUT_DIR"], "/opt/ml/output");
  EXPECT_EQ(env["SM_OUTPUT_DATA_DIR"], "/opt/ml/output/data");
  EXPECT_EQ(env["SM_OUTPUT_INTERMEDIATE_DIR"], "/opt/ml/output/intermediate");
  EXPECT_EQ(env["SM_INPUT_DIR"], "/opt/ml/input");
  EXPECT_EQ(env["SM_INPUT_CONFIG_DIR"], "/opt/ml/input/config");
  EXPECT_EQ(env["SM_RESOURCE_CONFIG"],
            R"({"current_host":"algo-2","current_instance_type":"ml.p4d.24xlarge","hosts":["algo-1","algo-2"],"network_interface_name":"eth0"})");
  EXPECT_EQ(env["SM_INPUT_DATA_CONFIG"], R"({"test":{"TrainingInputMode":"File"},"train":{"TrainingInputMode":"File"}})");
  EXPECT_EQ(env["SM_USER_ARGS"],
            R"(["--batch-size","16","--epochs","3","--model","gpt2","--mp_parameters","ddp=True,microbatches=4,optimize=speed,partitions=2,pipeline=interleaved,placement_strategy=spread"])");
  EXPECT_EQ(env["SM_FRAMEWORK_PARAMS"],
            R"({"sagemaker_distributed_dataparallel_enabled":false,"sagemaker_instance_type":"ml.p4d.24xlarge","sagemaker_mpi_custom_mpi_options":"","sagemaker_mpi_enabled":true,"sagemaker_mpi_num_of_processes_per_host":8})");
  EXPECT_EQ(env["SM_CURRENT_INSTANCE_TYPE"], "ml.p4d.24xlarge");
  EXPECT_EQ(env["SM_USER_ENTRY_POINT"], "train_engine");
  EXPECT_EQ(env["SM_LOG_LEVEL"], "20");
}

TEST(SagemakerEnvironment, TrainingEnvSummarisesTheHost) {
  const auto env = sagemaker_environment(p4d_spec());
  const auto training_env = json::parse(env.at("SM_TRAINING_ENV"));
  EXPECT_EQ(training_env["current_host"], "algo-2");
  EXPECT_EQ(training_env["master_hostname"], "algo-1");
  EXPECT_EQ(training_env["is_master"], false);
  EXPECT_EQ(training_env["is_modelparallel_enabled"], true);
  EXPECT_EQ(training_env["num_gpus"], 8);
  EXPECT_EQ(training_env["channel_input_dirs"]["train"], "/opt/ml/input/data/train");
  EXPECT_EQ(training_env["additional_framework_parameters"]["sagemaker_instance_type"], "ml.p4d.24xlarge");
  EXPECT_EQ(training_env["hyperparameters"]["epochs"], 3);
  EXPECT_EQ(training_env["user_entry_point"], "train_engine");
  EXPECT_EQ(training_env["job_name"], nullptr);
}

TEST(SagemakerEnvironment, LocalModeRootAndDefaults) {
  TrainingEnvironmentSpec spec;
  spec.root = "/tmp/job/algo-1";
  spec.config.resource.current_host = "algo-1";
  spec.config.resource.hosts = {"algo-1"};
  spec.config.input_data_config = json::parse(R"({"train": {}})");
  auto env = sagemaker_environment(spec);
  EXPECT_EQ(env["SM_MODEL_DIR"], "/tmp/job/algo-1/model");
  EXPECT_EQ(env["SM_CHANNEL_TRAIN"], "/tmp/job/algo-1/input/data/train");
  EXPECT_EQ(env["SM_INPUT_CONFIG_DIR"], "/tmp/job/algo-1/input/config");
  EXPECT_EQ(env["SM_CURRENT_INSTANCE_TYPE"], "local");
  EXPECT_EQ(env["SM_HPS"], "{}");
  EXPECT_EQ(env["SM_USER_ARGS"], "[]");
  EXPECT_EQ(env["SM_FRAMEWORK_PARAMS"], "{}");
  EXPECT_EQ(env.count("SM_USER_ENTRY_POINT"), 0u);
  EXPECT_EQ(json::parse(env["SM_TRAINING_ENV"])["is_master"], true);
}

}  // namespace
}  // namespace tandem::launcher
