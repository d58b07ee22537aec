// Stopping a launched job the way SageMaker does (StopTrainingJob, a spot
// interruption, max_run): SIGTERM, then SIGKILL after a grace period.
#include "tests/e2e/launch_jobs.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

namespace tandem::e2e {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

// `tandem launch` in the background; stdout/stderr/exit code into files.
struct BackgroundLaunch {
  pid_t pid = -1;
  std::string out, err;

  BackgroundLaunch(const std::vector<std::string>& args, const TempDir& dir, const std::string& name)
      : out(dir.file(name + ".out")), err(dir.file(name + ".err")) {
    pid = ::fork();
    if (pid == 0) {
      ::freopen(out.c_str(), "w", stdout);
      ::freopen(err.c_str(), "w", stderr);
      std::vector<std::string> all{TANDEM_BINARY, "launch"};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::chdir(dir.path().c_str());
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  // Polls the log until it shows `text` (or `limit` passes).
  bool wait_for_output(const std::string& text, std::chrono::seconds limit) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (slurp(out).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  int wait() const {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

double final_train_loss(const std::string& metrics_jsonl) {
  for (const auto& record : read_jsonl(metrics_jsonl))
    if (record.contains("train_loss")) return record["train_loss"].get<double>();
  return -1;
}

json stoppable_job(const std::string& checkpoints) {
  json job = tiny_job(2, 2, 60);
  job["hyperparameters"].update({{"block_size", 32}, {"per_device_train_batch_size", 4}});
  job["checkpoint_s3_uri"] = checkpoints;
  return job;
}

// A spot interruption: SIGTERM to `tandem launch` reaches every rank, which
// checkpoints at the next step boundary and exits; launching the same job
// again resumes there and ends where an uninterrupted run ends.
TEST(LaunchStop, SigtermThenRelaunchResumesAndEndsWithTheSameLoss) {
  TempDir dir;
  write_lm_channels(dir);
  const auto whole = launch({write_job(dir, "whole.json", stoppable_job("ckpt-whole")), "--job_dir", dir.file("whole")}, dir);
  ASSERT_EQ(whole.exit_code, 0) << whole.err;

  const std::string job = write_job(dir, "spot.json", stoppable_job("ckpt-spot"));
  BackgroundLaunch first({job, "--job_dir", dir.file("spot")}, dir, "first");
  ASSERT_TRUE(first.wait_for_output("<stdout>:  step = 2\n", 60s)) << slurp(first.err);
  const auto stop_sent = std::chrono::steady_clock::now();
  ::kill(first.pid, SIGTERM);
  EXPECT_EQ(first.wait(), 128 + SIGTERM) << slurp(first.err);
  EXPECT_LT(std::chrono::steady_clock::now() - stop_sent, 60s);
  const std::string log = slurp(first.out), errors = slurp(first.err);
  EXPECT_NE(errors.find("tandem: SIGTERM received: asking every rank to save a checkpoint and exit"), std::string::npos)
      << errors;
  EXPECT_NE(errors.find("launch the same job again to resume"), std::string::npos) << errors;
  const auto saved = log.find("<stdout>:stop requested (SIGTERM): checkpoint saved at step ");
  ASSERT_NE(saved, std::string::npos) << log << errors;
  const int step = std::stoi(log.substr(log.find("at step ", saved) + 8));
  ASSERT_LT(step, 60) << "the job ended before the stop reached it";
  EXPECT_TRUE(fs::exists(dir.file("ckpt-spot/checkpoint-" + std::to_string(step) + "/trainer_state.json")));

  const auto again = launch({job, "--job_dir", dir.file("spot")}, dir);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("<stdout>:resumed from " + dir.file("spot/algo-1/checkpoints/checkpoint-") +
                           std::to_string(step) + " at step " +
                           std::to_string(step) + "\n"),
            std::string::npos)
      << again.out;
  const double expected = final_train_loss(dir.file("whole/algo-1/output/data/metrics.jsonl"));
  ASSERT_GT(expected, 0);
  EXPECT_EQ(final_train_loss(dir.file("spot/algo-1/output/data/metrics.jsonl")), expected);
}

// max_run reached: the same stop, then a failure naming max_run.
TEST(LaunchStop, MaxRunStopsTheJobAndSaysSo) {
  TempDir dir;
  write_lm_channels(dir);
  json job = stoppable_job("ckpt");
  job["hyperparameters"]["max_steps"] = 1000000;
  job["max_run"] = 4;
  const auto started = std::chrono::steady_clock::now();
  const auto r = launch({write_job(dir, "job.json", job), "--job_dir", dir.file("jobdir")}, dir);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 60s);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(last_line(r.err), "tandem: error: max_run of 4 s exceeded: the job was stopped after its ranks saved a checkpoint")
      << r.err;
  EXPECT_EQ(slurp(dir.file("jobdir/output/failure")),
            "max_run of 4 s exceeded: the job was stopped after its ranks saved a checkpoint");
  EXPECT_NE(r.out.find("stop requested (SIGTERM): checkpoint saved at step"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(dir.file("jobdir/output/model.tar.gz")));
}

// Ranks that ignore SIGTERM are killed when the grace period ends (120 s on
// SageMaker; shortened here with --stop_grace_seconds).
TEST(LaunchStop, RanksIgnoringSigtermAreKilledAfterTheGracePeriod) {
  TempDir dir;
  dir.write("stubborn.sh", "#!/bin/sh\ntrap '' TERM\necho started\nwhile :; do sleep 0.1; done\n");
  json job = {{"instance_type", "local_cpu"}, {"instance_count", 2}, {"entry_point", "stubborn.sh"}, {"max_run", 2},
              {"distribution", {{"mpi", {{"enabled", true}, {"processes_per_host", 1}}}}}};
  const auto started = std::chrono::steady_clock::now();
  const auto r = launch({write_job(dir, "job.json", job), "--job_dir", dir.file("jobdir"), "--stop_grace_seconds", "1"}, dir);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, 3s);
  EXPECT_LT(took, 30s);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("tandem: ranks still running 1 s after SIGTERM: killing the job"), std::string::npos) << r.err;
  EXPECT_EQ(last_line(r.err),
            "tandem: error: max_run of 2 s exceeded: the job was stopped and killed when its ranks outlived the grace period");
  // Nothing of the job is left running (killed processes may linger as zombies).
  std::this_thread::sleep_for(200ms);
  const auto ps = run_command({"sh", "-c", "ps -eo stat,args | grep -v '^Z' | grep -c '[s]tubborn.sh' || true"}, dir.path());
  EXPECT_EQ(ps.out, "0\n");
}

}  // namespace
}  // namespace tandem::e2e
