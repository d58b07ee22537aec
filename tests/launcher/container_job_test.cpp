#include "launcher/container/container_job.h"

#include <gtest/gtest.h>

#include "launcher/shell/shlex.h"
#include "tests/common/temp_dir.h"

namespace tandem::launcher {
namespace {

using nlohmann::json;
using Words = std::vector<std::string>;

Words words(const std::string& line) { return shlex_split(line, "expected"); }

ContainerConfig config(const std::vector<std::string>& hosts, const std::string& current, const json& hyperparameters) {
  ContainerConfig c;
  c.resource.hosts = hosts;
  c.resource.current_host = current;
  c.resource.current_instance_type = "ml.p4d.24xlarge";
  c.hyperparameters = hyperparameters;
  c.input_data_config = json::parse(R"({"train": {"TrainingInputMode": "File"}})");
  return c;
}

ContainerMachine p4d() {
  ContainerMachine machine;
  machine.gpus = 8;
  machine.cpus = 96;
  return machine;
}

// docs/sagemaker-contract.md §3.6 worked example (2 x ml.p4d.24xlarge, SMP, entry
// point train_engine) without the toolkit's LD_PRELOAD shim, which tandem does not ship.
TEST(ContainerJob, SmpMasterCommandIsTheToolkits) {
  const auto job = describe_container_job(
      config({"algo-1", "algo-2"}, "algo-1", json::parse(R"({"epochs": 3, "sagemaker_program": "train_engine",
          "sagemaker_mpi_enabled": true, "sagemaker_instance_type": "ml.p4d.24xlarge",
          "mp_parameters": {"ddp": true, "microbatches": 4, "partitions": 2, "pipeline": "interleaved",
                            "placement_strategy": "cluster"}})")),
      "/opt/ml", p4d());
  EXPECT_EQ(job.runner, Runner::Mpi);
  EXPECT_TRUE(job.is_master());
  EXPECT_EQ(job.workers(), Words{"algo-2"});
  EXPECT_EQ(job.processes_per_host, 8);  // one per GPU: the toolkit's default
  EXPECT_EQ(job.environment.at("PYTHONPATH"), "/opt/ml/code");
  EXPECT_EQ(job.environment.at("SM_CHANNEL_TRAIN"), "/opt/ml/input/data/train");

  Words expected = words(
      "mpirun --host algo-1:8,algo-2:8 -np 16 --allow-run-as-root --display-map --tag-output "
      "-mca btl_tcp_if_include eth0 -mca oob_tcp_if_include eth0 -mca plm_rsh_no_tree_spawn 1 -bind-to none "
      "-map-by slot -mca pml ob1 -mca btl ^openib -mca orte_abort_on_non_zero_status 1 "
      "-mca btl_vader_single_copy_mechanism none -x NCCL_MIN_NRINGS=4 -x NCCL_SOCKET_IFNAME=eth0 -x NCCL_DEBUG=INFO "
      "-x LD_LIBRARY_PATH -x PATH -x FI_PROVIDER=efa -x NCCL_PROTO=simple -x FI_EFA_USE_DEVICE_RDMA=1");
  for (const auto& [name, value] : job.environment)
    if (name.rfind("SM_", 0) == 0) expected.insert(expected.end(), {"-x", name});
  expected.insert(expected.end(), {"-x", "PYTHONPATH", "/bin/sh", "-c",
                                   "./train_engine --epochs 3 --mp_parameters "
                                   "ddp=True,microbatches=4,partitions=2,pipeline=interleaved,placement_strategy=cluster"});
  EXPECT_EQ(master_command(job, p4d()), expected);
  // The rank table of the MPI world: cluster placement, 2 stages.
  ASSERT_EQ(job.layout.world_size, 16);
  EXPECT_EQ(job.layout.pp_size, 2);
  EXPECT_EQ(job.layout.ranks[9].host_index, 1);
  EXPECT_EQ(job.layout.ranks[9].pp_rank, 1);
}

TEST(ContainerJob, SmddpUsesItsOwnRunnerAndFindsSmddprunOnPath) {
  const TempDir dir;
  const auto smddprun = dir.write("bin/smddprun", "#!/bin/sh\n");
  std::filesystem::permissions(smddprun, std::filesystem::perms::owner_all);
  ContainerMachine machine = p4d();
  machine.environment.set("PATH", (dir.path() / "bin").string());
  const auto job = describe_container_job(
      config({"algo-1", "algo-2"}, "algo-2", json::parse(R"({"sagemaker_program": "tandem train",
          "sagemaker_distributed_dataparallel_enabled": true, "sagemaker_instance_type": "ml.p4d.24xlarge",
          "sagemaker_distributed_dataparallel_custom_mpi_options": "-verbose", "max_steps": 5})")),
      "/opt/ml", machine);
  EXPECT_EQ(job.runner, Runner::SmDataParallel);
  EXPECT_FALSE(job.is_master());
  const auto command = master_command(job, machine);
  EXPECT_EQ(Words(command.end() - 4, command.end()),
            (Words{"smddprun", "/bin/sh", "-c", "./tandem train --max_steps 5"}));
  EXPECT_NE(std::find(command.begin(), command.end(), "-verbose"), command.end());
}

TEST(ContainerJob, WithoutDistributionEveryHostRunsTheProgramItself) {
  const auto job = describe_container_job(config({"algo-1", "algo-2"}, "algo-2", json::parse(R"({"epochs": 1})")),
                                          "/opt/ml", ContainerMachine());
  EXPECT_EQ(job.runner, Runner::Process);
  EXPECT_EQ(job.entry_point, "tandem train");  // no sagemaker_program
  EXPECT_EQ(master_command(job, ContainerMachine()), (Words{"/bin/sh", "-c", "./tandem train --epochs 1"}));
  EXPECT_EQ(job.layout.world_size, 1);
}

}  // namespace
}  // namespace tandem::launcher
