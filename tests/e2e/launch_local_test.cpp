// `tandem launch JOB.json` on local instance types: emulated SageMaker hosts on
// this machine, run end to end.
#include "tests/e2e/launch_jobs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

namespace tandem::e2e {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

TEST(LaunchLocal, TwoHostsOfTwoProcessesTrainEndToEnd) {
  TempDir dir;
  write_lm_channels(dir);
  json job = tiny_job(2, 2);
  job["hyperparameters"]["save_steps"] = 2;
  job["checkpoint_s3_uri"] = "file://ckpt";
  job["metric_definitions"] = json::parse(R"json([{"Name": "train_runtime", "Regex": "train_runtime.*=\\D*(.*?)$"},
      {"Name": "eval_accuracy", "Regex": "eval_accuracy.*=\\D*(.*?)$"}, {"Name": "eval_loss", "Regex": "eval_loss.*=\\D*(.*?)$"},
      {"Name": "loss", "Regex": "algo-1\\]<stdout>:  loss = (\\S+)"}])json");
  const auto r = launch({write_job(dir, "job.json", job), "--job_dir", dir.file("jobdir")}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // The log as SageMaker shows it: rank tags naming the host.
  EXPECT_NE(r.out.find("[1,mpirank:0,algo-1]<stdout>:training 4 steps of 128 tokens on 4 process(es)"), std::string::npos)
      << r.out;
  // Metrics: what the regexes captured, printed and saved (an LM has no eval_accuracy).
  EXPECT_NE(r.out.find("tandem: metrics (last value of each):\ntrain_runtime = "), std::string::npos) << r.out;
  std::map<std::string, int> counts;
  for (const auto& record : read_jsonl(dir.file("jobdir/output/metrics.jsonl"))) {
    ++counts[record["name"].get<std::string>()];
    EXPECT_TRUE(record["value"].is_number());
  }
  EXPECT_EQ(counts, (std::map<std::string, int>{{"eval_loss", 1}, {"loss", 4}, {"train_runtime", 1}}));

  // SageMaker's model.tar.gz: the model folder's contents at the archive root.
  EXPECT_EQ(archive_listing(dir.file("jobdir/output/model.tar.gz"), dir), "config.json\nmodel.safetensors\n");
  // One checkpoint folder for both hosts: the checkpoint_s3_uri stand-in.
  EXPECT_TRUE(fs::exists(dir.file("ckpt/checkpoint-4/trainer_state.json")));
  EXPECT_EQ(fs::read_symlink(dir.file("jobdir/algo-2/checkpoints")), dir.file("ckpt"));
  EXPECT_FALSE(fs::exists(dir.file("jobdir/output/failure")));
}

// A custom entry point runs as the toolkit runs it, `/bin/sh -c "./<entry> <args>"`
// from each host's code folder, with that host's environment; hostile
// hyperparameter values arrive as single arguments and are never run.
TEST(LaunchLocal, CustomEntryPointSeesItsHostAndItsArgumentsVerbatim) {
  TempDir dir;
  dir.write("scripts/show.sh",
            "#!/bin/sh\n"
            "echo \"host=$SM_CURRENT_HOST rank=$OMPI_COMM_WORLD_RANK cwd=$(pwd)\"\n"
            "for a in \"$@\"; do echo \"arg=$a\"; done\n");
  const std::string marker = dir.file("injected");
  const std::string hostile = "x; touch " + marker;
  const std::string substitution = "$(touch " + marker + ")`touch " + marker + "` \"quoted\" 'single'";
  json job = {{"instance_type", "local_cpu"}, {"instance_count", 2}, {"entry_point", "scripts/show.sh"},
              {"hyperparameters", {{"lr_scheduler_type", hostile}, {"name", substitution}}},
              {"distribution", {{"mpi", {{"enabled", true}, {"processes_per_host", 2}}}}}};
  const auto r = launch({write_job(dir, "job.json", job), "--job_dir", dir.file("jobdir")}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (int rank = 0; rank < 4; ++rank) {
    const std::string host = rank < 2 ? "algo-1" : "algo-2";
    const std::string tag = "[1,mpirank:" + std::to_string(rank) + "," + host + "]<stdout>:";
    EXPECT_NE(r.out.find(tag + "host=" + host + " rank=" + std::to_string(rank) + " cwd=" + dir.file("jobdir/" + host + "/code")),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find(tag + "arg=" + hostile + "\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(tag + "arg=" + substitution + "\n"), std::string::npos) << r.out;
  }
  EXPECT_FALSE(fs::exists(marker));
}

// A secret in the job's environment reaches every rank, yet neither the dry
// run nor any process's argv (mpirun's included, read from /proc while the
// job runs) shows it: it travels by name from mpirun's own environment.
TEST(LaunchLocal, ASecretReachesTheRanksButNoArgv) {
  TempDir dir;
  const std::string secret = "s3cr3t-" + std::to_string(::getpid());
  // awk reads the value from its environment, so no argv of the check holds it either.
  dir.write("scripts/secret.sh",
            "#!/bin/sh\n"
            "echo \"secret=$AWS_SECRET_ACCESS_KEY\"\n"
            "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' '\\n' | "
            "awk 'index($0, ENVIRON[\"AWS_SECRET_ACCESS_KEY\"]) {n++} END {print \"argv_with_secret=\" n+0}'\n");
  json job = {{"instance_type", "local_cpu"}, {"instance_count", 2}, {"entry_point", "scripts/secret.sh"},
              {"environment", {{"AWS_SECRET_ACCESS_KEY", secret}}},
              {"distribution", {{"mpi", {{"enabled", true}, {"processes_per_host", 1}}}}}};
  const std::string job_file = write_job(dir, "job.json", job);
  const auto dry = launch({job_file, "--job_dir", dir.file("jobdir"), "--dry-run"}, dir);
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(dry.out.find(secret), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("-x AWS_SECRET_ACCESS_KEY"), std::string::npos) << dry.out;

  const auto r = launch({job_file, "--job_dir", dir.file("jobdir")}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (int rank = 0; rank < 2; ++rank) {
    const std::string tag = "[1,mpirank:" + std::to_string(rank) + ",algo-" + std::to_string(rank + 1) + "]<stdout>:";
    EXPECT_NE(r.out.find(tag + "secret=" + secret + "\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(tag + "argv_with_secret=0\n"), std::string::npos) << r.out;
  }
}

// The same hostile value as a flag tandem train knows: it arrives intact, is
// refused, and the refusal names it.
TEST(LaunchLocal, HostileValueReachesTandemTrainUnchanged) {
  TempDir dir;
  write_lm_channels(dir);
  const std::string marker = dir.file("tandem-injected");
  json job = tiny_job(1, 2);
  job["hyperparameters"]["lr_scheduler_type"] = "x; touch " + marker;
  const auto r = launch({write_job(dir, "job.json", job), "--job_dir", dir.file("jobdir")}, dir);
  EXPECT_EQ(r.exit_code, 1);
  const std::string expected = "--lr_scheduler_type: \"x; touch " + marker + "\" is not one of";
  EXPECT_EQ(last_line(r.err).rfind("tandem: error: " + expected, 0), 0u) << r.err;
  EXPECT_EQ(slurp(dir.file("jobdir/output/failure")).rfind(expected, 0), 0u);
  EXPECT_FALSE(fs::exists(marker));
}

// A failing job: the rank's own message becomes the job's failure reason.
TEST(LaunchLocal, EmptyTrainingChannelFailsWithTheRanksMessage) {
  TempDir dir;
  write_lm_channels(dir);
  fs::create_directories(dir.file("empty"));
  json job = tiny_job(2, 1);
  job["inputs"]["train"] = "empty";
  const auto r = launch({write_job(dir, "job.json", job), "--job_dir", dir.file("jobdir")}, dir);
  EXPECT_EQ(r.exit_code, 1);
  const std::string failure = slurp(dir.file("jobdir/output/failure"));
  EXPECT_NE(failure.find("channel train: " + dir.file("jobdir/algo-1/input/data/train") + " holds no .txt, .jsonl or .bin file"),
            std::string::npos)
      << failure;
  EXPECT_LE(failure.size(), 1024u);
  EXPECT_EQ(last_line(r.err), "tandem: error: " + failure) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("jobdir/output/model.tar.gz")));
}

// The examples run scaled down: --local turns ml.* instances into local_cpu
// ones, --processes_per_host fits them to this machine; hyperparameters cut to
// a few steps of gpt-tiny here to keep the test short.
TEST(LaunchLocal, ExamplesRunScaledDown) {
  TempDir dir;
  dir.write("data/fortunes/train/a.txt", tiny_corpus(20));
  dir.write("data/fortunes/test/b.txt", tiny_corpus(3));
  const std::vector<std::pair<std::string, std::vector<std::string>>> examples = {
      {"finetune.json", {}},
      {"data-parallel.json", {"--local", "--processes_per_host", "1"}},
      {"spot.json", {"--local"}},
      {"metrics.json", {"--local"}},
      // 2 hosts x 2 processes: the 4 partitions of the seed's model-parallel job.
      {"model-parallel.json", {"--local", "--processes_per_host", "2"}}};
  for (const auto& [name, flags] : examples) {
    SCOPED_TRACE(name);
    json job = json::parse(slurp(TANDEM_SOURCE_DIR "/examples/jobs/" + name));
    job["hyperparameters"].update({{"model_name_or_path", "gpt-tiny"}, {"max_steps", 2}, {"block_size", 16},
                                   {"per_device_train_batch_size", 4}, {"logging_steps", 1}, {"eval_steps", 0}});
    if (job.contains("checkpoint_s3_uri")) job["checkpoint_s3_uri"] = "../../checkpoints/" + name;
    const std::string file = dir.file("examples/jobs/" + name);
    dir.write("examples/jobs/" + name, job.dump());
    std::vector<std::string> args{file, "--job_dir", dir.file("runs/" + name)};
    args.insert(args.end(), flags.begin(), flags.end());
    const auto r = launch(args, dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(archive_listing(dir.file("runs/" + name + "/output/model.tar.gz"), dir), "config.json\nmodel.safetensors\n");
  }
  EXPECT_TRUE(fs::exists(dir.file("checkpoints/spot.json")));
  EXPECT_FALSE(read_jsonl(dir.file("runs/metrics.json/output/metrics.jsonl")).empty());
}

}  // namespace
}  // namespace tandem::e2e
