#include "launcher/sagemaker/container_config.h"

#include <gtest/gtest.h>

#include "engine/error.h"
#include "launcher/config/json_fields.h"
#include "tests/common/error_matchers.h"
#include "tests/common/temp_dir.h"

namespace tandem::launcher {
namespace {

using nlohmann::json;

void write_valid_config(const TempDir& dir) {
  dir.write("resourceconfig.json",
            R"({"current_host":"algo-2","hosts":["algo-1","algo-2"],"network_interface_name":"eth1",
                "current_instance_type":"ml.p4d.24xlarge","current_group_name":"homogeneousCluster"})");
  dir.write("hyperparameters.json",
            R"({"epochs":"3","sagemaker_program":"\"train_engine\"","mp_parameters":"{\"partitions\": 2}","model":"gpt2"})");
  dir.write("inputdataconfig.json",
            R"({"train":{"TrainingInputMode":"File","S3DistributionType":"FullyReplicated","RecordWrapperType":"None"}})");
}

TEST(ReadContainerConfig, ReadsTheThreeFiles) {
  const TempDir dir;
  write_valid_config(dir);
  const auto config = read_container_config(dir.path());
  EXPECT_EQ(config.resource.current_host, "algo-2");
  EXPECT_EQ(config.resource.hosts, (std::vector<std::string>{"algo-1", "algo-2"}));
  EXPECT_EQ(config.resource.network_interface_name, "eth1");
  EXPECT_EQ(config.resource.current_instance_type, "ml.p4d.24xlarge");
  EXPECT_EQ(config.hyperparameters, json::parse(R"({"epochs": 3, "sagemaker_program": "train_engine",
      "mp_parameters": {"partitions": 2}, "model": "gpt2"})"));
  EXPECT_EQ(config.input_data_config["train"]["TrainingInputMode"], "File");
}

TEST(ReadContainerConfig, NetworkInterfaceDefaultsToEth0) {
  const TempDir dir;
  write_valid_config(dir);
  dir.write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-1"]})");
  const auto config = read_container_config(dir.path());
  EXPECT_EQ(config.resource.network_interface_name, "eth0");
  EXPECT_EQ(config.resource.current_instance_type, "");
}

TEST(ReadContainerConfig, ErrorsNameTheFile) {
  const TempDir dir;
  write_valid_config(dir);
  std::filesystem::remove(dir.path() / "hyperparameters.json");
  EXPECT_ERROR(read_container_config(dir.path()), RuntimeFailure, "hyperparameters.json: missing");

  write_valid_config(dir);
  dir.write("inputdataconfig.json", "{\"train\": ");
  EXPECT_ERROR(read_container_config(dir.path()), RuntimeFailure, "inputdataconfig.json: not valid JSON");

  write_valid_config(dir);
  dir.write("inputdataconfig.json", R"({"train": "File"})");
  EXPECT_ERROR(read_container_config(dir.path()), RuntimeFailure, "inputdataconfig.json: train: expected a JSON object");

  const std::pair<const char*, const char*> resource_cases[] = {
      {R"({"hosts":["algo-1"]})", "resourceconfig.json: current_host: missing"},
      {R"({"current_host":"algo-1"})", "resourceconfig.json: hosts: missing"},
      {R"({"current_host":"algo-1","hosts":[]})", "resourceconfig.json: hosts: expected a non-empty list"},
      {R"({"current_host":"algo-3","hosts":["algo-1","algo-2"]})", "resourceconfig.json: current_host: \"algo-3\" is not one of hosts"},
      {R"({"current_host":1,"hosts":["algo-1"]})", "resourceconfig.json: current_host: expected a string"},
      {R"(["algo-1"])", "resourceconfig.json: expected a JSON object"},
      // A host name reaches ssh as an argument: none may read as an option or carry a shell character.
      {R"({"current_host":"algo-1","hosts":["algo-1","-oProxyCommand=touch x"]})",
       "resourceconfig.json: hosts: \"-oProxyCommand=touch x\" is not a host name (expected letters, digits"},
      {R"({"current_host":"algo-1;id","hosts":["algo-1;id"]})",
       "resourceconfig.json: current_host: \"algo-1;id\" is not a host name"},
      {R"({"current_host":"algo-1","hosts":["algo-1","algo 2"]})", "resourceconfig.json: hosts: \"algo 2\" is not a host name"},
      {R"({"current_host":"algo-1","hosts":["algo-1",""]})", "resourceconfig.json: hosts: \"\" is not a host name"},
  };
  for (const auto& [content, message] : resource_cases) {
    write_valid_config(dir);
    dir.write("resourceconfig.json", content);
    EXPECT_ERROR(read_container_config(dir.path()), RuntimeFailure, message);
  }
}

TEST(WriteContainerConfig, RoundTrips) {
  const TempDir dir;
  ContainerConfig config;
  config.resource.current_host = "algo-1";
  config.resource.hosts = {"algo-1", "algo-2"};
  config.resource.current_instance_type = "local_gpu";
  config.hyperparameters = json::parse(R"({"epochs": 3, "lr": 0.0001, "name": "x; y", "mp_parameters": {"partitions": 2}})");
  config.input_data_config = json::parse(R"({"train": {"TrainingInputMode": "File"}})");
  write_container_config(config, dir.path() / "input" / "config");

  const auto back = read_container_config(dir.path() / "input" / "config");
  EXPECT_EQ(back.resource.to_json(), config.resource.to_json());
  EXPECT_EQ(back.hyperparameters, config.hyperparameters);
  EXPECT_EQ(back.input_data_config, config.input_data_config);
  // On disk every hyperparameter is a string, as CreateTrainingJob sends them.
  const auto raw = json::parse(read_text_file(dir.path() / "input" / "config" / "hyperparameters.json"));
  EXPECT_EQ(raw["name"], "\"x; y\"");
  EXPECT_EQ(raw["mp_parameters"], "{\"partitions\": 2}");
}

}  // namespace
}  // namespace tandem::launcher
