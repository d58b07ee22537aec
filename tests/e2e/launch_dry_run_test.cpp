// `tandem launch --dry-run`: the exact command and the rank table of a job at
// full size, for SageMaker instance types and for local ones, running nothing.
#include "tests/e2e/launch_jobs.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace tandem::e2e {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using Words = std::vector<std::string>;

json dry_run_json(const TempDir& dir, const std::string& job_file, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{job_file, "--dry-run", "--format", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  // A PATH without SageMaker's smddprun/smddpmprun, as on this machine.
  const auto r = launch(args, dir, {"PATH=/usr/bin:/bin"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

// The seed's model-parallel job on 2 x ml.p3dn.24xlarge: the toolkit's MPI
// runner command (docs/sagemaker-contract.md §3.6; p3dn has EFA for NCCL, not RDMA;
// no LD_PRELOAD shim in tandem) and worked example B's spread table.
TEST(LaunchDryRun, SeedModelParallelJobIsTheToolkitsMpiCommand) {
  TempDir dir;
  const auto job = write_job(dir, "mp.json", json::parse(R"({
      "entry_point": "train_engine", "instance_type": "ml.p3dn.24xlarge", "instance_count": 2,
      "hyperparameters": {"epochs": 3},
      "distribution": {"smdistributed": {"modelparallel": {"enabled": true, "parameters": {"microbatches": 4,
          "placement_strategy": "spread", "pipeline": "interleaved", "optimize": "speed", "partitions": 4, "ddp": true}}},
        "mpi": {"enabled": true, "processes_per_host": 8}}})"));
  const json out = dry_run_json(dir, job);
  EXPECT_EQ(out["command"].get<Words>(),
            words("mpirun --host algo-1:8,algo-2:8 -np 16 --allow-run-as-root --display-map --tag-output "
                  "-mca btl_tcp_if_include eth0 -mca oob_tcp_if_include eth0 -mca plm_rsh_no_tree_spawn 1 "
                  "-bind-to none -map-by slot -mca pml ob1 -mca btl ^openib -mca orte_abort_on_non_zero_status 1 "
                  "-mca btl_vader_single_copy_mechanism none -x NCCL_MIN_NRINGS=4 -x NCCL_SOCKET_IFNAME=eth0 "
                  "-x NCCL_DEBUG=INFO -x LD_LIBRARY_PATH -x PATH -x FI_PROVIDER=efa -x NCCL_PROTO=simple "
                  "-x SM_CHANNELS -x SM_CURRENT_HOST -x SM_CURRENT_INSTANCE_TYPE -x SM_FRAMEWORK_PARAMS -x SM_HOSTS "
                  "-x SM_HPS -x SM_HP_EPOCHS -x SM_HP_MP_PARAMETERS -x SM_INPUT_CONFIG_DIR -x SM_INPUT_DATA_CONFIG "
                  "-x SM_INPUT_DIR -x SM_LOG_LEVEL -x SM_MODEL_DIR -x SM_NETWORK_INTERFACE_NAME -x SM_NUM_CPUS "
                  "-x SM_NUM_GPUS -x SM_OUTPUT_DATA_DIR -x SM_OUTPUT_DIR -x SM_OUTPUT_INTERMEDIATE_DIR "
                  "-x SM_RESOURCE_CONFIG -x SM_TRAINING_ENV -x SM_USER_ARGS -x SM_USER_ENTRY_POINT -x PYTHONPATH "
                  "/bin/sh -c \"./train_engine --epochs 3 --mp_parameters "
                  "ddp=True,microbatches=4,optimize=speed,partitions=4,pipeline=interleaved,placement_strategy=spread\""));
  EXPECT_EQ(out["cwd"], "/opt/ml/code");
  const auto& ranks = out["ranks"];
  ASSERT_EQ(ranks.size(), 16u);
  for (int r = 0; r < 16; ++r) {
    SCOPED_TRACE("rank " + std::to_string(r));
    EXPECT_EQ(ranks[r]["host"], r < 8 ? "algo-1" : "algo-2");
    EXPECT_EQ(ranks[r]["local_rank"], r % 8);
    EXPECT_EQ(ranks[r]["pp_rank"], r / 4);  // spread: a replica's stages are dp = 4 ranks apart
    EXPECT_EQ(ranks[r]["dp_rank"], r % 4);
  }
  // Nothing was written for it.
  EXPECT_FALSE(fs::exists(dir.file("runs")));
}

// Two ml.p4d.24xlarge with smdistributed.dataparallel: the SMDDP runner (§3.7),
// custom options from the SMDDP docs, no smddprun on PATH.
TEST(LaunchDryRun, DataParallelJobIsTheToolkitsSmddpCommand) {
  TempDir dir;
  const auto job = write_job(dir, "dp.json", json::parse(R"({
      "entry_point": "train_engine", "instance_type": "ml.p4d.24xlarge", "instance_count": 2,
      "hyperparameters": {"epochs": 3},
      "distribution": {"smdistributed": {"dataparallel": {"enabled": true, "custom_mpi_options": "-verbose -x NCCL_DEBUG=VERSION"}}}})"));
  const json out = dry_run_json(dir, job);
  EXPECT_EQ(out["command"].get<Words>(),
            words("mpirun --host algo-1:8,algo-2:8 -np 16 --allow-run-as-root --tag-output --oversubscribe "
                  "-mca btl_tcp_if_include eth0 -mca oob_tcp_if_include eth0 -mca plm_rsh_no_tree_spawn 1 "
                  "-mca pml ob1 -mca btl ^openib -mca orte_abort_on_non_zero_status 1 "
                  "-mca btl_vader_single_copy_mechanism none -mca plm_rsh_num_concurrent 2 "
                  "-x NCCL_SOCKET_IFNAME=eth0 -x NCCL_DEBUG=INFO -x LD_LIBRARY_PATH -x PATH "
                  "-x SMDATAPARALLEL_USE_HOMOGENEOUS=1 -x FI_PROVIDER=efa -x RDMAV_FORK_SAFE=1 "
                  "-verbose -x NCCL_DEBUG=VERSION -x NCCL_PROTO=simple -x FI_EFA_USE_DEVICE_RDMA=1 "
                  "-x SMDATAPARALLEL_SERVER_ADDR=algo-1 -x SMDATAPARALLEL_SERVER_PORT=7592 "
                  "-x SAGEMAKER_INSTANCE_TYPE=ml.p4d.24xlarge /bin/sh -c \"./train_engine --epochs 3\""));
  EXPECT_EQ(out["ranks"].size(), 16u);
}

TEST(LaunchDryRun, TextFormShowsTheCommandLineAndTheRankTable) {
  TempDir dir;
  const auto job = write_job(dir, "mp.json", json::parse(R"({"instance_type": "ml.p4d.24xlarge", "instance_count": 2,
      "distribution": {"smdistributed": {"modelparallel": {"enabled": true, "parameters": {"partitions": 2}}},
                       "mpi": {"enabled": true}}})"));
  const auto r = launch({job, "--dry-run"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("SageMaker: master algo-1 of 2 x ml.p4d.24xlarge, 8 process(es) per host"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nmpirun --host algo-1:8,algo-2:8 -np 16 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/bin/sh -c './tandem train --mp_parameters partitions=2'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rank  host      local_rank  pp_rank  dp_rank\n"), std::string::npos);
  EXPECT_NE(r.out.find("  15  algo-2             7        1        7\n"), std::string::npos) << r.out;  // cluster
}

// A local job's dry run is the MPMD command `tandem launch` would run.
TEST(LaunchDryRun, LocalJobShowsOneAppContextPerEmulatedHost) {
  TempDir dir;
  write_lm_channels(dir);
  const auto job = write_job(dir, "job.json", tiny_job(2, 2));
  const json out = dry_run_json(dir, job, {"--job_dir", dir.file("jobdir")});
  const Words command = out["command"].get<Words>();
  ASSERT_GT(command.size(), 10u);
  EXPECT_EQ(Words(command.begin(), command.begin() + 4), (Words{"mpirun", "--oversubscribe", "--allow-run-as-root", "--tag-output"}));
  EXPECT_EQ(std::count(command.begin(), command.end(), ":"), 1);
  EXPECT_NE(std::find(command.begin(), command.end(), "SM_CURRENT_HOST=algo-2"), command.end());
  EXPECT_NE(std::find(command.begin(), command.end(), dir.file("jobdir") + "/algo-2"), command.end());
  // Each rank runs this binary's `train` with the hyperparameters as argv.
  const auto program = std::find(command.begin(), command.end(), fs::canonical(TANDEM_BINARY).string());
  ASSERT_NE(program, command.end());
  EXPECT_EQ(Words(program + 1, program + 4), (Words{"train", "--block_size", "16"}));
  EXPECT_EQ(out["ranks"][3]["host"], "algo-2");
  EXPECT_FALSE(fs::exists(dir.file("jobdir")));
}

// Every example job dry-runs at its full size (their data folder stands in for data/fortunes).
TEST(LaunchDryRun, EveryExampleJobAtFullSize) {
  TempDir dir;
  fs::create_directories(dir.file("examples"));
  fs::copy(TANDEM_SOURCE_DIR "/examples/jobs", dir.file("examples/jobs"));
  dir.write("data/fortunes/train/a.txt", tiny_corpus(2));
  dir.write("data/fortunes/test/b.txt", tiny_corpus(1));
  // finetune-minilm.json's inputs, which examples/finetune_minilm.sh makes.
  dir.write("data/fortune-categories/train/f.jsonl", "{\"text\": \"x\", \"label\": \"a\"}\n");
  dir.write("data/fortune-categories/test/f.jsonl", "{\"text\": \"x\", \"label\": \"a\"}\n");
  dir.write(".cache/minilm/model/config.json", "{}");
  int examples = 0;
  for (const auto& entry : fs::directory_iterator(dir.file("examples/jobs"))) {
    if (entry.path().extension() != ".json") continue;
    ++examples;
    const auto r = launch({entry.path().string(), "--dry-run"}, dir);
    EXPECT_EQ(r.exit_code, 0) << entry.path() << ": " << r.err;
    EXPECT_NE(r.out.find("rank  host"), std::string::npos) << r.out;
  }
  EXPECT_GE(examples, 5);
  const json mp = dry_run_json(dir, dir.file("examples/jobs/model-parallel.json"));
  EXPECT_EQ(mp["ranks"].size(), 16u);
  EXPECT_EQ(mp["ranks"][8]["pp_rank"], 2);
}

}  // namespace
}  // namespace tandem::e2e
