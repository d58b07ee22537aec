#include "launcher/job/job_folder.h"

#include <gtest/gtest.h>

#include "engine/error.h"
#include "launcher/config/json_fields.h"
#include "launcher/distribution/distribution.h"
#include "tests/common/error_matchers.h"
#include "tests/common/temp_dir.h"

namespace tandem::launcher {
namespace {

using nlohmann::json;

TEST(JobFolder, EveryHostGetsItsOwnOptMl) {
  const TempDir dir;
  dir.write("data/train/part-0", "a");
  const auto job = parse_job_spec(json::parse(R"({"instance_type": "local_cpu", "instance_count": 2,
      "entry_point": "tandem train", "hyperparameters": {"epochs": 1, "name": "x; touch /tmp/tandem-injected"},
      "inputs": {"train": "data/train"},
      "distribution": {"smdistributed": {"modelparallel": {"enabled": true, "parameters": {"partitions": 2, "microbatches": 4}}},
                       "mpi": {"enabled": true, "custom_mpi_options": "--NCCL_DEBUG WARN"}}})"), dir.path());
  const auto roots = write_job_folder(job, dir.path() / "job", ChannelData::Symlink);
  ASSERT_EQ(roots.size(), 2u);
  EXPECT_EQ(roots[1], dir.path() / "job" / "algo-2");

  const auto config = read_container_config(roots[1] / "input" / "config");
  EXPECT_EQ(config.resource.current_host, "algo-2");
  EXPECT_EQ(config.resource.hosts, (std::vector<std::string>{"algo-1", "algo-2"}));
  EXPECT_EQ(config.resource.current_instance_type, "local_cpu");
  EXPECT_EQ(config.hyperparameters, json::parse(R"({"epochs": 1, "name": "x; touch /tmp/tandem-injected",
      "sagemaker_program": "tandem train", "sagemaker_mpi_enabled": true, "sagemaker_mpi_custom_mpi_options": "--NCCL_DEBUG WARN",
      "mp_parameters": {"partitions": 2, "microbatches": 4}, "sagemaker_distributed_dataparallel_enabled": false,
      "sagemaker_instance_type": "local_cpu"})"));
  EXPECT_EQ(config.input_data_config, json::parse(R"({"train": {"TrainingInputMode": "File",
      "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None"}})"));
  EXPECT_EQ(read_text_file(roots[1] / "input/data/train/part-0"), "a");

  // What a container would make of those files is the job's distribution again.
  const auto d = distribution_from_hyperparameters(config.hyperparameters);
  EXPECT_EQ(d.strategy, Distribution::Strategy::ModelParallel);
  EXPECT_EQ(d.mp->microbatches, 4);
  EXPECT_EQ(d.custom_mpi_options, "--NCCL_DEBUG WARN");
}

TEST(JobFolder, NeedsALocalInstanceType) {
  const TempDir dir;
  const auto job = parse_job_spec(json::parse(R"({"instance_type": "ml.p4d.24xlarge"})"), dir.path());
  EXPECT_ERROR(write_job_folder(job, dir.path() / "job", ChannelData::Symlink), UsageError,
               "instance_type: local mode runs local, local_cpu or local_gpu, got \"ml.p4d.24xlarge\"");
}

}  // namespace
}  // namespace tandem::launcher
