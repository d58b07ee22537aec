#include "launcher/job/job_spec.h"

#include <gtest/gtest.h>

#include "engine/error.h"
#include "tests/common/error_matchers.h"
#include "tests/common/temp_dir.h"

namespace tandem::launcher {
namespace {

using nlohmann::json;

class JobSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("data/train/part-0", "a");
    dir_.write("data/test/part-0", "b");
  }
  JobSpec parse(const std::string& text) const { return parse_job_spec(json::parse(text), dir_.path()); }
  std::string path(const std::string& relative) const { return (dir_.path() / relative).string(); }

  TempDir dir_;
};

TEST_F(JobSpecTest, LocalSmpJob) {
  const auto job = parse(R"({"instance_type": "local_gpu", "instance_count": 2,
      "hyperparameters": {"epochs": 3, "model": "gpt2"},
      "distribution": {"smdistributed": {"modelparallel": {"enabled": true, "parameters": {"partitions": 2}}},
                       "mpi": {"enabled": true, "processes_per_host": 2}},
      "inputs": {"train": "data/train", "test": "file://data/test"},
      "checkpoint_s3_uri": "file://ckpt", "use_spot_instances": true, "max_run": 600, "max_wait": 1200,
      "metric_definitions": [{"Name": "loss", "Regex": "loss = (\\S+) "}], "environment": {"NCCL_DEBUG": "WARN"}})");
  EXPECT_EQ(job.entry_point, "tandem train");
  EXPECT_EQ(job.instance_type, "local_gpu");
  EXPECT_TRUE(job.is_local());
  EXPECT_EQ(job.hosts(), (std::vector<std::string>{"algo-1", "algo-2"}));
  EXPECT_EQ(job.hyperparameters["epochs"], 3);
  EXPECT_EQ(job.distribution.strategy, Distribution::Strategy::ModelParallel);
  EXPECT_EQ(job.distribution.instance_type, "local_gpu");
  EXPECT_EQ(job.processes_per_host, 2);
  EXPECT_EQ(job.inputs.at("train"), path("data/train"));
  EXPECT_EQ(job.inputs.at("test"), path("data/test"));
  EXPECT_EQ(job.checkpoint_s3_uri, path("ckpt"));
  EXPECT_EQ(job.checkpoint_local_path, "/opt/ml/checkpoints");
  EXPECT_TRUE(job.use_spot_instances);
  EXPECT_EQ(job.max_run, 600);
  EXPECT_EQ(job.max_wait, 1200);
  ASSERT_EQ(job.metric_definitions.size(), 1u);
  EXPECT_EQ(job.metric_definitions[0].name, "loss");
  EXPECT_EQ(job.environment.at("NCCL_DEBUG"), "WARN");
}

TEST_F(JobSpecTest, Defaults) {
  const auto job = parse(R"({"instance_type": "local"})");
  EXPECT_EQ(job.instance_count, 1);
  EXPECT_EQ(job.max_run, 86400);
  EXPECT_EQ(job.max_wait, 0);
  EXPECT_FALSE(job.use_spot_instances);
  EXPECT_EQ(job.processes_per_host, 1);
  EXPECT_TRUE(job.inputs.empty());
  EXPECT_EQ(job.distribution.strategy, Distribution::Strategy::None);
}

TEST_F(JobSpecTest, ProcessesPerHostFollowsTheContainer) {
  const char* mpi = R"("distribution": {"mpi": {"enabled": true}})";
  EXPECT_EQ(parse(std::string(R"({"instance_type": "local_cpu", )") + mpi + "}").processes_per_host, 1);
  EXPECT_EQ(parse(std::string(R"({"instance_type": "local", )") + mpi + "}").processes_per_host, 1);
  EXPECT_EQ(parse(std::string(R"({"instance_type": "local_gpu", )") + mpi + "}").processes_per_host, 0);  // this machine's GPUs
  EXPECT_EQ(parse(std::string(R"({"instance_type": "ml.p4d.24xlarge", )") + mpi + "}").processes_per_host, 8);
  EXPECT_EQ(parse(R"({"instance_type": "ml.p4d.24xlarge"})").processes_per_host, 1);  // no MPI: one process
  EXPECT_EQ(parse(R"({"instance_type": "ml.g5.12xlarge", "distribution": {"smdistributed": {"dataparallel": {"enabled": true}}}})")
                .processes_per_host, 4);
  EXPECT_EQ(parse(R"({"instance_type": "local_cpu", "distribution": {"mpi": {"enabled": true, "processes_per_host": 4}}})")
                .processes_per_host, 4);
}

TEST_F(JobSpecTest, RemoteInstanceTypesKeepUris) {
  const auto job = parse(R"({"instance_type": "ml.p4d.24xlarge", "instance_count": 2,
      "inputs": {"train": "s3://bucket/train"}, "checkpoint_s3_uri": "s3://bucket/ckpt",
      "distribution": {"smdistributed": {"modelparallel": {"enabled": true, "parameters": {"partitions": 4}}},
                       "mpi": {"enabled": true}}})");
  EXPECT_FALSE(job.is_local());
  EXPECT_EQ(job.inputs.at("train"), "s3://bucket/train");
  EXPECT_EQ(job.checkpoint_s3_uri, "s3://bucket/ckpt");
  EXPECT_EQ(job.processes_per_host, 8);
}

TEST_F(JobSpecTest, EveryValidationErrorNamesTheKey) {
  const std::pair<const char*, std::string> cases[] = {
      {R"({"instance_type": "local", "entry_pont": "x"})", "JOB.json: unknown key \"entry_pont\" (expected one of: entry_point, instance_type,"},
      {R"({})", "JOB.json: instance_type: required"},
      {R"({"instance_type": "p4d"})", "JOB.json: instance_type: expected local, local_cpu, local_gpu or an ml.* type, got \"p4d\""},
      {R"({"instance_type": "local", "instance_count": 0})", "JOB.json: instance_count: expected an integer >= 1, got 0"},
      {R"({"instance_type": "local", "entry_point": ""})", "JOB.json: entry_point: expected a command"},
      {R"({"instance_type": "local", "hyperparameters": [1]})", "JOB.json: hyperparameters: expected a JSON object"},
      {R"({"instance_type": "local", "hyperparameters": {"sagemaker_program": "x"}})", "JOB.json: hyperparameters.sagemaker_program: reserved"},
      {R"({"instance_type": "local", "hyperparameters": {"mp_parameters": {"partitions": 2}},
          "distribution": {"smdistributed": {"modelparallel": {"enabled": true, "parameters": {"partitions": 1}}}, "mpi": {"enabled": true}}})",
       "JOB.json: hyperparameters.mp_parameters: also set by distribution"},
      {R"({"instance_type": "local", "distribution": {"mpi": {"enabled": true, "processes": 2}}})", "distribution: unknown key \"mpi.processes\""},
      {R"({"instance_type": "local", "inputs": {"train": "s3://bucket/train"}})",
       "JOB.json: inputs.train: s3:// inputs need network access; local mode takes local paths or file://"},
      {R"({"instance_type": "local", "inputs": {"train": "data/missing"}})", "JOB.json: inputs.train: " },
      {R"({"instance_type": "local", "inputs": {"train": 3}})", "JOB.json: inputs.train: expected a string"},
      {R"({"instance_type": "local", "inputs": {"tr ain": "data/train"}})", "JOB.json: inputs: channel name \"tr ain\" must be"},
      {R"({"instance_type": "local", "inputs": "data/train"})", "JOB.json: inputs: expected a JSON object"},
      {R"({"instance_type": "local", "checkpoint_s3_uri": "s3://bucket/ckpt"})", "JOB.json: checkpoint_s3_uri: s3:// checkpoints need network access"},
      {R"({"instance_type": "local", "checkpoint_local_path": ""})", "JOB.json: checkpoint_local_path: expected a path"},
      {R"({"instance_type": "local", "use_spot_instances": "yes"})", "JOB.json: use_spot_instances: expected true or false"},
      {R"({"instance_type": "local", "use_spot_instances": true})", "JOB.json: max_wait: required with use_spot_instances"},
      {R"({"instance_type": "local", "use_spot_instances": true, "max_wait": 3600})",
       "JOB.json: max_wait: MaxWaitTimeInSeconds must be larger than MaxRuntimeInSeconds (max_wait 3600, max_run 86400)"},
      {R"({"instance_type": "local", "use_spot_instances": true, "max_run": 600, "max_wait": 600})",
       "JOB.json: max_wait: MaxWaitTimeInSeconds must be larger than MaxRuntimeInSeconds"},
      {R"({"instance_type": "local", "max_wait": 7200})", "JOB.json: max_wait: only applies with use_spot_instances true"},
      {R"({"instance_type": "local", "max_run": 0})", "JOB.json: max_run: expected an integer >= 1"},
      {R"({"instance_type": "local", "max_run": 2419201})", "JOB.json: max_run: at most 28 days"},
      {R"({"instance_type": "local", "metric_definitions": [{"Name": "loss"}]})", "JOB.json: metric_definitions.0.Regex: missing"},
      {R"({"instance_type": "local", "environment": {"A": 1}})", "JOB.json: environment.A: expected a string"},
      {R"({"instance_type": "ml.p4d.24xlarge", "distribution": {"mpi": {"enabled": true, "processes_per_host": 16}}})",
       "distribution: mpi.processes_per_host: 16 exceeds the 8 GPUs of one ml.p4d.24xlarge"},
      {R"({"instance_type": "ml.p4d.24xlarge", "instance_count": 2,
          "distribution": {"smdistributed": {"modelparallel": {"enabled": true, "parameters": {"partitions": 3}}}, "mpi": {"enabled": true}}})",
       "partitions: 3 pipeline stages do not divide 16 processes (instance_count 2 x processes_per_host 8)"},
      {R"({"instance_type": "local", "instance_count": 3,
          "distribution": {"smdistributed": {"modelparallel": {"enabled": true, "parameters": {"partitions": 2}}}, "mpi": {"enabled": true}}})",
       "partitions: 2 pipeline stages do not divide 3 processes (instance_count 3 x processes_per_host 1)"},
  };
  for (const auto& [job, message] : cases) EXPECT_ERROR(parse(job), UsageError, message);
  EXPECT_ERROR(parse(R"({"instance_type": "local", "inputs": {"train": "data/missing"}})"), UsageError,
               path("data/missing") + " does not exist");
}

TEST_F(JobSpecTest, ReadJobSpecResolvesPathsFromTheFile) {
  const auto file = dir_.write("jobs/JOB.json", R"({"instance_type": "local", "inputs": {"train": "../data/train"}})");
  EXPECT_EQ(read_job_spec(file).inputs.at("train"), path("data/train"));
  const auto bad = dir_.write("jobs/BAD.json", R"({"instance_type": "local", "max_run": "1h"})");
  EXPECT_ERROR(read_job_spec(bad), UsageError, bad.string() + ": max_run: expected an integer >= 1, got \"1h\"");
  EXPECT_ERROR(read_job_spec(dir_.path() / "none.json"), RuntimeFailure, "none.json: cannot open");
}

}  // namespace
}  // namespace tandem::launcher
