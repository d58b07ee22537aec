// A SageMaker multi-host job for real: two emulated instances (network
// namespaces with sshd, tests/hosts/test_hosts.sh), `tandem launch` as every
// container's entry point, the toolkit's mpirun reaching the worker over ssh,
// and ranks talking over TCP across the hosts' link. The results must be those
// of the same job in local mode, where every host is a folder on one machine,
// and of one process training the global batch.
#include "tests/hosts/hosts_test.h"

#include <cstdio>

namespace tandem::hosts {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// What a multi-host job must show, whatever its distribution.
void expect_same_job_as_local_mode(const TempDir& dir, const json& job, const std::string& name) {
  const LocalRun local = run_local_mode(dir, name + "-local", job);
  ASSERT_EQ(local.result.exit_code, 0) << local.result.err;
  const LocalRun single = run_local_mode(dir, name + "-single", as_one_process(job));
  ASSERT_EQ(single.result.exit_code, 0) << single.result.err;

  EmulatedHosts hosts(2);
  const EmulatedJob emulated(hosts, job_spec(job, dir), dir.file(name + "-s3"));
  const uint64_t received_before = hosts.bytes_received("algo-2");
  const JobResult r = emulated.run(150s);
  expect_completed(r);
  const fs::path master = hosts.opt_ml("algo-1"), worker = hosts.opt_ml("algo-2");

  // mpirun placed ranks 2 and 3 on algo-2, reached over ssh (its --display-map).
  EXPECT_NE(r.master().out.find(" Data for node: algo-2\tNum slots: 2\tMax slots: 0\tNum procs: 2\n"
                                " \tProcess OMPI jobid: "),
            std::string::npos)
      << r.master().out;
  // Gradients or activations crossed the link: far more than ssh's handshakes
  // and mpirun's wiring (tens of KiB).
  const uint64_t received = hosts.bytes_received("algo-2") - received_before;
  std::printf("[ measured ] algo-2 received %.0f KiB over its link\n", received / 1024.0);
  EXPECT_GT(received, 256u << 10);

  // Per-step losses: exactly local mode's (same ranks, same reduction order),
  // and one process's up to the summation order.
  const auto losses = losses_in(master);
  ASSERT_EQ(losses.size(), job["hyperparameters"]["max_steps"].get<size_t>());
  EXPECT_EQ(losses, losses_in(local.master_root));
  for (const auto& [step, loss] : losses_in(single.master_root))
    EXPECT_NEAR(losses.at(step), loss, kRelTol * std::abs(loss)) << "step " << step;

  // The seed's regexes over the master's log: train_runtime and eval_loss
  // (a language model has no eval_accuracy), the values the ranks recorded.
  // The log prints 4 decimals.
  ASSERT_EQ(r.metric("eval_loss").size(), 1u);
  EXPECT_NEAR(r.metric("eval_loss")[0], recorded(master, "eval_loss"), 5e-5);
  EXPECT_EQ(r.metric("train_runtime").size(), 1u);
  EXPECT_TRUE(r.metric("eval_accuracy").empty());

  // The model is written on the master only, as local mode writes it, and is
  // what SageMaker packs into model.tar.gz.
  EXPECT_EQ(folder_listing(master / "model"), (std::vector<std::string>{"config.json", "model.safetensors"}));
  EXPECT_TRUE(folder_listing(worker / "model").empty());
  EXPECT_EQ(e2e::slurp((master / "model/model.safetensors").string()),
            e2e::slurp(local.master_root + "/model/model.safetensors"));
  EXPECT_EQ(e2e::archive_listing(r.model_archive.string(), dir), "config.json\nmodel.safetensors\n");
}

TEST(MultiHostContainer, DataParallelOverTcpTrainsAsLocalModeAndOneProcess) {
  SKIP_WITHOUT_EMULATED_HOSTS();
  TempDir dir;
  e2e::write_lm_channels(dir);
  expect_same_job_as_local_mode(dir, data_parallel_job(2, 2, 4), "dp");
}

// spread with 2 partitions on 2 hosts x 2: each pipeline has a stage on each
// host (activations cross the link), each DP group stays inside one host.
TEST(MultiHostContainer, SeedModelParallelJobScaledDownTrainsAsLocalModeAndOneProcess) {
  SKIP_WITHOUT_EMULATED_HOSTS();
  TempDir dir;
  e2e::write_lm_channels(dir);
  expect_same_job_as_local_mode(dir, model_parallel_job(4), "mp");
}

}  // namespace
}  // namespace tandem::hosts
