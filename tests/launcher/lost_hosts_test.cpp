// What the failure says when a multi-host job loses a host.
#include "launcher/container/lost_hosts.h"

#include <gtest/gtest.h>

#include "tests/common/temp_dir.h"

namespace tandem::launcher {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Three hosts of two processes each.
ContainerJob three_hosts() {
  ContainerConfig config;
  config.resource.hosts = {"algo-1", "algo-2", "algo-3"};
  config.resource.current_host = "algo-1";
  config.hyperparameters = {{"sagemaker_mpi_enabled", true}, {"sagemaker_mpi_num_of_processes_per_host", 2}};
  ContainerMachine machine;
  return describe_container_job(config, "/opt/ml", machine);
}

TEST(LostHosts, HostsAreNamedWithTheirRanks) {
  const ContainerJob job = three_hosts();
  EXPECT_EQ(hosts_and_ranks(job, {"algo-3"}), "algo-3 (ranks 4, 5)");
  EXPECT_EQ(hosts_and_ranks(job, {"algo-2", "algo-3"}), "algo-2 (ranks 2, 3), algo-3 (ranks 4, 5)");
  EXPECT_EQ(lost_workers_reason(job, {"algo-2"}, 30s),
            "algo-2 (ranks 2, 3) stopped answering on port 22 for 30 s (instance down, cut off or frozen)");
  EXPECT_EQ(lost_master_reason(job, 30s),
            "the master algo-1 stopped answering on port 22 for 30 s (instance down, cut off or frozen)");
}

TEST(LostHosts, TheLostHostComesBeforeTheRanksReport) {
  const ContainerJob job = three_hosts();
  const TempDir dir;
  const auto failure = dir.write("failure", "rank 0 (host algo-1): allreduce of 1 float64 timed out after 3 s\n");

  JobOutcome ended;
  ended.exit_code = 137;
  ended.ended_by = lost_workers_reason(job, {"algo-3"}, 12s);
  EXPECT_EQ(master_failure(job, ended, {}, failure),
            "algo-3 (ranks 4, 5) stopped answering on port 22 for 12 s (instance down, cut off or frozen): the job was "
            "ended; a rank had reported: rank 0 (host algo-1): allreduce of 1 float64 timed out after 3 s");
  EXPECT_EQ(master_failure(job, ended, {}, dir.path() / "none"),
            "algo-3 (ranks 4, 5) stopped answering on port 22 for 12 s (instance down, cut off or frozen): the job was "
            "ended");

  JobOutcome failed;
  failed.exit_code = 1;
  EXPECT_EQ(master_failure(job, failed, {"algo-2"}, failure),
            "algo-2 (ranks 2, 3) no longer answers on port 22 (instance down, cut off or frozen): rank 0 (host "
            "algo-1): allreduce of 1 float64 timed out after 3 s");
  // Nobody lost: the rank's report alone, as the toolkit keeps it.
  EXPECT_EQ(master_failure(job, failed, {}, failure), "rank 0 (host algo-1): allreduce of 1 float64 timed out after 3 s");
  // No report on the master: the first a worker's rank wrote.
  EXPECT_EQ(master_failure(job, failed, {}, dir.path() / "none", {"rank 4 (host algo-3): channel train: empty"}),
            "rank 4 (host algo-3): channel train: empty");
  failed.stderr_tail = {"[algo-1:00019] 1 more process has sent help message help-mpi-btl-tcp.txt / peer hung up"};
  EXPECT_EQ(master_failure(job, failed, {}, dir.path() / "none"),
            "training exited with status 1: [algo-1:00019] 1 more process has sent help message help-mpi-btl-tcp.txt / "
            "peer hung up");
  // A vanished host says more than mpirun's teardown.
  failed.exit_code = 205;
  failed.stderr_tail = {"therefore will terminate the job."};
  EXPECT_EQ(master_failure(job, failed, {"algo-2"}, dir.path() / "none"),
            "algo-2 (ranks 2, 3) no longer answers on port 22 (instance down, cut off or frozen): training exited with "
            "status 205");
}

}  // namespace
}  // namespace tandem::launcher
