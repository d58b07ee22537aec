// `tandem launch` as a SageMaker container's entry point, on a faked /opt/ml
// (--opt_ml): the files SageMaker writes, then the toolkit's command run for
// real on one host, and dry-run on two.
#include "tests/e2e/launch_jobs.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace tandem::e2e {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::string this_host() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

// /opt/ml/input as SageMaker writes it: hyperparameters JSON-encoded one by one.
void write_opt_ml(const TempDir& dir, const json& resource, const json& hyperparameters) {
  json encoded = json::object();
  for (const auto& item : hyperparameters.items()) encoded[item.key()] = item.value().dump();
  dir.write("opt_ml/input/config/resourceconfig.json", resource.dump());
  dir.write("opt_ml/input/config/hyperparameters.json", encoded.dump());
  dir.write("opt_ml/input/config/inputdataconfig.json", R"({"train": {"TrainingInputMode": "File"}})");
  dir.write("opt_ml/input/data/train/a.txt", tiny_corpus(20));
  for (const char* folder : {"opt_ml/code", "opt_ml/model", "opt_ml/output/data"}) fs::create_directories(dir.file(folder));
}

json training_hyperparameters() {
  return {{"sagemaker_program", "tandem train"}, {"sagemaker_mpi_enabled", true},
          {"sagemaker_mpi_num_of_processes_per_host", 2}, {"sagemaker_mpi_custom_mpi_options", "--oversubscribe"},
          {"model_name_or_path", "gpt-tiny"}, {"max_steps", 3}, {"block_size", 16}, {"per_device_train_batch_size", 2},
          {"logging_steps", 1}, {"save_steps", 0}, {"num_threads", 1}};
}

// One host (this machine, under its real name so mpirun needs no ssh): the
// master runs the toolkit's mpirun, whose ranks run `/bin/sh -c "./tandem train
// <args>"` from /opt/ml/code with the SM_* variables.
TEST(LaunchContainer, SingleHostRunsTandemTrainThroughTheToolkitsCommand) {
  TempDir dir;
  write_opt_ml(dir, {{"current_host", this_host()}, {"hosts", {this_host()}}, {"network_interface_name", "lo"}},
               training_hyperparameters());
  const auto r = launch({"--opt_ml", dir.file("opt_ml")}, dir);  // resourceconfig.json there: container mode
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("[1,mpirank:0,algo-1]<stdout>:training 3 steps of 64 tokens on 2 process(es)"), std::string::npos)
      << r.out;
  EXPECT_EQ(fs::read_symlink(dir.file("opt_ml/code/tandem")), fs::canonical(TANDEM_BINARY));
  EXPECT_TRUE(fs::exists(dir.file("opt_ml/output/success")));
  EXPECT_FALSE(fs::exists(dir.file("opt_ml/output/failure")));
  EXPECT_TRUE(fs::exists(dir.file("opt_ml/model/model.safetensors")));                         // SM_MODEL_DIR
  EXPECT_EQ(losses_by_step(dir.file("opt_ml/output/data/metrics.jsonl")).size(), 3u);         // SM_OUTPUT_DATA_DIR
}

// A failing rank's own report stays the failure file (the toolkit does not overwrite it).
TEST(LaunchContainer, FailureKeepsTheRanksReport) {
  TempDir dir;
  json hps = training_hyperparameters();
  hps["lr_scheduler_type"] = "x; touch " + dir.file("injected");
  write_opt_ml(dir, {{"current_host", this_host()}, {"hosts", {this_host()}}, {"network_interface_name", "lo"}}, hps);
  const auto r = launch({"--sagemaker", "--opt_ml", dir.file("opt_ml")}, dir);
  EXPECT_EQ(r.exit_code, 1);
  const std::string failure = slurp(dir.file("opt_ml/output/failure"));
  EXPECT_EQ(failure.rfind("--lr_scheduler_type: \"x; touch " + dir.file("injected") + "\" is not one of", 0), 0u) << failure;
  EXPECT_EQ(last_line(r.err), "tandem: error: " + failure.substr(0, failure.find('\n'))) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("opt_ml/output/success")));
  EXPECT_FALSE(fs::exists(dir.file("injected")));
}

// Two hosts: the same master command on either; the worker says it waits.
TEST(LaunchContainer, TwoHostsDryRunOnMasterAndWorker) {
  TempDir dir;
  for (const std::string current : {"algo-1", "algo-2"}) {
    SCOPED_TRACE(current);
    write_opt_ml(dir, {{"current_host", current}, {"hosts", {"algo-1", "algo-2"}}, {"network_interface_name", "eth0"}},
                 training_hyperparameters());
    const auto r = launch({"--opt_ml", dir.file("opt_ml"), "--dry-run", "--format", "json"}, dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json out = json::parse(r.out);
    EXPECT_EQ(out["mode"], current == "algo-1" ? "SageMaker container: algo-1 runs the command below"
                                               : "SageMaker container: algo-2 is a worker: it waits while the master "
                                                 "runs the command below");
    const auto command = out["command"].get<std::vector<std::string>>();
    EXPECT_EQ(std::vector<std::string>(command.begin(), command.begin() + 5),
              (std::vector<std::string>{"mpirun", "--host", "algo-1:2,algo-2:2", "-np", "4"}));
    EXPECT_EQ(command.back(), "./tandem train --block_size 16 --logging_steps 1 --max_steps 3 --model_name_or_path gpt-tiny "
                              "--num_threads 1 --per_device_train_batch_size 2 --save_steps 0");
    EXPECT_EQ(out["ranks"][2]["host"], "algo-2");
    EXPECT_EQ(out["cwd"], dir.file("opt_ml/code"));
  }
  EXPECT_FALSE(fs::exists(dir.file("opt_ml/code/tandem")));  // a dry run changes nothing
}

// The bounds on waiting for other hosts belong to container mode.
TEST(LaunchContainer, HostWaitFlagsAreForContainersAndPositive) {
  TempDir dir;
  write_lm_channels(dir);
  const auto with_job = launch({write_job(dir, "job.json", tiny_job(1, 1)), "--host_wait_seconds", "5"}, dir);
  EXPECT_EQ(with_job.exit_code, 2);
  EXPECT_EQ(with_job.err,
            "tandem: error: --host_wait_seconds and --host_timeout_seconds apply inside a SageMaker container, "
            "not to a job file\n");
  const auto zero = launch({"--sagemaker", "--host_timeout_seconds", "0"}, dir);
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_EQ(zero.err, "tandem: error: --host_timeout_seconds: \"0\" is out of range (expected an integer >= 1)\n");
}

TEST(LaunchContainer, SagemakerFlagWithoutTheFilesNamesTheMissingOne) {
  TempDir dir;
  const auto r = launch({"--sagemaker", "--opt_ml", dir.file("opt_ml")}, dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "tandem: error: " + dir.file("opt_ml/input/config/resourceconfig.json") +
                       ": missing (SageMaker writes it before the container starts)\n");
}

}  // namespace
}  // namespace tandem::e2e
