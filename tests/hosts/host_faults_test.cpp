// Faults across hosts, on emulated instances: a worker host that dies, one
// whose sshd never starts, a spot interruption of every host, a slow link and
// a stalled host. Each says how fast it was noticed and what the user reads.
#include "tests/hosts/hosts_test.h"

#include <signal.h>

#include <cstdio>
#include <thread>

namespace tandem::hosts {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// A job that runs far longer than any test waits, with the communication
// timeout a user sets through custom_mpi_options (-x reaches every rank).
json long_job(int comm_timeout_seconds) {
  json job = data_parallel_job(2, 2, 100000);
  job["distribution"]["mpi"]["custom_mpi_options"] =
      "-x TANDEM_COMM_TIMEOUT_SECONDS=" + std::to_string(comm_timeout_seconds);
  job["hyperparameters"]["do_eval"] = false;
  return job;
}

// Waits until rank 0 has recorded `step` in the master's metrics.jsonl (the
// log reaches the launcher later, through mpirun).
bool wait_for_step(const EmulatedHosts& hosts, int step, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (static_cast<int>(losses_in(hosts.opt_ml("algo-1")).size()) >= step) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

// The processes of `host` whose command line holds `text`.
std::vector<pid_t> host_pids(const EmulatedHosts& hosts, const std::string& host, const std::string& text) {
  std::vector<pid_t> pids;
  for (const auto& p : hosts.processes(host))
    if (p.cmdline.find(text) != std::string::npos) pids.push_back(p.pid);
  return pids;
}

// What is left on the hosts that belongs to the job (sshd serves the container's life).
void expect_nothing_left(const JobResult& r) {
  for (const auto& c : r.containers)
    EXPECT_TRUE(c.left_running.empty()) << c.host << " still runs " << testing::PrintToString(c.left_running);
}

// No rank, orted or mpirun left on any host (a worker's launcher may still
// wait for its done marker, as the toolkit's does).
void expect_no_rank_left(const JobResult& r) {
  for (const auto& c : r.containers)
    for (const auto& p : c.left_running)
      EXPECT_TRUE(p.find("tandem train") == std::string::npos && p.rfind("orted", 0) != 0 && p.rfind("mpirun", 0) != 0)
          << c.host << " still runs " << p;
}

// A worker instance that crashes mid-job (everything on it killed, or its link
// cut): the master's job ends within 60 s, and the failure names the host and
// its ranks. A killed host's connections close, and mpirun notices at once;
// a cut-off one is noticed by the master's host watch after
// --host_timeout_seconds (30 by default, 10 here to keep the test short).
void worker_host_dies(bool cut_link) {
  TempDir dir;
  e2e::write_lm_channels(dir);
  EmulatedHosts hosts(2);
  const EmulatedJob emulated(hosts, job_spec(long_job(60), dir), dir.file("s3"));
  emulated.prepare();
  RunningJob running = emulated.start({"--host_timeout_seconds", "10"});
  ASSERT_TRUE(wait_for_step(hosts, 3, 120s)) << running.containers[0].err();
  const auto fault = Clock::now();
  if (cut_link) {
    hosts.set_link("algo-2", false);
  } else {
    hosts.kill_host("algo-2");
  }
  const JobResult r = emulated.finish(running, 120s, 20s);
  const double detect = seconds_between(fault, r.master_exited);
  std::printf("[ measured ] algo-2 %s: the master's launcher exited %.1f s later; failure: %s",
              cut_link ? "link down" : "killed", detect, r.failure.c_str());
  EXPECT_LT(detect, cut_link ? 20.0 : 10.0) << r.master().err;
  EXPECT_EQ(r.master().exit_code, 1) << r.master().err;
  EXPECT_EQ(r.failure.rfind(cut_link ? "algo-2 (ranks 2, 3) stopped answering on port 22 for 10 s (instance down, "
                                      "cut off or frozen): the job was ended"
                                    : "algo-2 (ranks 2, 3) no longer answers on port 22 (instance down, cut off or "
                                      "frozen): training exited with status ",
                            0),
            0u)
      << r.failure;
  EXPECT_NE(r.master().err.find("tandem: error: " + r.failure.substr(0, 40)), std::string::npos) << r.master().err;
  EXPECT_FALSE(r.success_marker);
  expect_nothing_left(r);
  EXPECT_TRUE(r.model_archive.empty());
}

TEST(MultiHostFaults, WorkerHostKilledEndsTheJobNamingItsHostAndRanks) {
  SKIP_WITHOUT_EMULATED_HOSTS();
  worker_host_dies(/*cut_link=*/false);
}

TEST(MultiHostFaults, WorkerHostLinkDownEndsTheJobNamingItsHostAndRanks) {
  SKIP_WITHOUT_EMULATED_HOSTS();
  worker_host_dies(/*cut_link=*/true);
}

// A rank that fails on a worker (its host's copy of the channel is empty, as
// a ShardedByS3Key channel can be): the job fails at once, and the failure
// names the rank and the worker it ran on. (mpirun gives every rank the
// master's SM_CURRENT_HOST, so a rank must not take its host from there.)
TEST(MultiHostFaults, ARankFailingOnAWorkerIsNamedWithThatHost) {
  SKIP_WITHOUT_EMULATED_HOSTS();
  TempDir dir;
  e2e::write_lm_channels(dir);
  EmulatedHosts hosts(2);
  const EmulatedJob emulated(hosts, job_spec(data_parallel_job(2, 2, 4), dir), dir.file("s3"));
  emulated.prepare();
  for (const auto& entry : fs::directory_iterator(hosts.opt_ml("algo-2") / "input/data/train")) fs::remove(entry.path());
  RunningJob running = emulated.start();
  const JobResult r = emulated.finish(running, 120s, 20s);
  EXPECT_EQ(r.master().exit_code, 1);
  const std::string report = " (host algo-2): channel train: /opt/ml/input/data/train holds no .txt, .jsonl or .bin file\n";
  EXPECT_TRUE(r.failure == "rank 2" + report || r.failure == "rank 3" + report) << r.failure;
  expect_nothing_left(r);
}

// The worker's image has an sshd that never listens: the master gives up
// after --host_wait_seconds, naming the worker, and runs nothing.
TEST(MultiHostFaults, WorkerWhoseSshdNeverStartsFailsTheMasterWithinItsBound) {
  SKIP_WITHOUT_EMULATED_HOSTS();
  TempDir dir;
  e2e::write_lm_channels(dir);
  EmulatedHosts hosts(2);
  hosts.replace_sshd("algo-2");
  const EmulatedJob emulated(hosts, job_spec(data_parallel_job(2, 2, 4), dir), dir.file("s3"));
  emulated.prepare();
  RunningJob running = emulated.start({"--host_wait_seconds", "5"});
  const JobResult r = emulated.finish(running, 60s, 0s);
  std::printf("[ measured ] master failed %.1f s after the start (bound 5 s)\n", r.seconds);
  EXPECT_GE(r.seconds, 5.0);
  EXPECT_LT(r.seconds, 15.0);
  EXPECT_EQ(r.master().exit_code, 1);
  EXPECT_EQ(r.failure,
            "the workers' sshd: algo-2 did not accept connections on port 22 within 5 s "
            "(is sshd running there, and the host name resolvable?)\n");
  EXPECT_EQ(r.master().out.find("mpirank"), std::string::npos) << "no rank may start: " << r.master().out;
}

// A spot interruption: SIGTERM to the entry point of every instance. Every
// rank saves at the same step boundary (the master's and the worker's
// launchers pass the request to the ranks on their host), and a relaunch on
// fresh instances, with the checkpoints SageMaker copied to S3 and back,
// resumes there and ends where an uninterrupted run ends.
TEST(MultiHostFaults, SpotInterruptionOfEveryHostSavesOneStepAndTheRelaunchResumesIt) {
  SKIP_WITHOUT_EMULATED_HOSTS();
  TempDir dir;
  e2e::write_lm_channels(dir);
  json job = data_parallel_job(2, 2, 40);
  job["hyperparameters"]["do_eval"] = false;
  // Uninterrupted, in local mode (which the multi-host runs reproduce step for step).
  const LocalRun whole = run_local_mode(dir, "whole", job);
  ASSERT_EQ(whole.result.exit_code, 0) << whole.result.err;
  const double expected = recorded(whole.master_root, "train_loss");
  ASSERT_FALSE(std::isnan(expected));

  job["checkpoint_s3_uri"] = "s3-checkpoints";
  EmulatedHosts hosts(2);
  const EmulatedJob emulated(hosts, job_spec(job, dir), dir.file("s3"));
  emulated.prepare();
  RunningJob running = emulated.start();
  ASSERT_TRUE(wait_for_step(hosts, 3, 120s)) << running.containers[0].err();
  for (const auto& host : hosts.names()) {
    const auto launchers = host_pids(hosts, host, TANDEM_BINARY " launch");
    ASSERT_EQ(launchers.size(), 1u) << host;
    ::kill(launchers.front(), SIGTERM);
  }
  const JobResult first = emulated.finish(running, 120s);
  EXPECT_EQ(first.master().exit_code, 128 + SIGTERM) << first.master().err;
  EXPECT_EQ(first.containers[1].exit_code, 0) << first.containers[1].err;
  EXPECT_NE(first.master().err.find("tandem: SIGTERM received: asking every rank to save a checkpoint and exit"),
            std::string::npos)
      << first.master().err;
  EXPECT_EQ(first.failure, "");
  const std::string log = first.master().out;
  const auto saved = log.find("<stdout>:stop requested (SIGTERM): checkpoint saved at step ");
  ASSERT_NE(saved, std::string::npos) << log << first.master().err;
  const int step = std::stoi(log.substr(log.find("at step ", saved) + 8));
  ASSERT_LT(step, 40) << "the job ended before the stop reached it";
  // One checkpoint of that step in S3, its parts from both hosts: the state
  // file from the master, the RNG state of every rank.
  const fs::path checkpoint = dir.file("s3-checkpoints/checkpoint-" + std::to_string(step));
  EXPECT_EQ(folder_listing(dir.file("s3-checkpoints")), std::vector<std::string>{checkpoint.filename().string()});
  for (const char* file : {"trainer_state.json", "model.safetensors", "rng_state_0.safetensors",
                           "rng_state_1.safetensors", "rng_state_2.safetensors", "rng_state_3.safetensors"})
    EXPECT_TRUE(fs::exists(checkpoint / file)) << file;
  expect_nothing_left(first);

  const JobResult again = emulated.run(150s);
  expect_completed(again);
  EXPECT_NE(again.master().out.find("<stdout>:resumed from /opt/ml/checkpoints/checkpoint-" + std::to_string(step) +
                                    " at step " + std::to_string(step) + "\n"),
            std::string::npos)
      << again.master().out;
  EXPECT_EQ(recorded(hosts.opt_ml("algo-1"), "train_loss"), expected);
}

// A slow network: tbf on every host's link. The same losses, each step slower
// by the time the bytes that cross a link take at that rate (an alpha-beta
// link model with beta = 1 / rate, the bytes measured on the link).
TEST(MultiHostFaults, BandwidthLimitGivesTheSameLossesSlowerAsTheLinkModelPredicts) {
  SKIP_WITHOUT_EMULATED_HOSTS();
  TempDir dir;
  e2e::write_lm_channels(dir);
  constexpr int kSteps = 5;
  json job = data_parallel_job(2, 2, kSteps);
  job["hyperparameters"]["do_eval"] = false;
  const double tokens_per_step = 16.0 * 2 * 4;  // block_size x per-device batch x ranks
  EmulatedHosts hosts(2);
  const EmulatedJob emulated(hosts, job_spec(job, dir), dir.file("s3"));

  const uint64_t before = hosts.bytes_received("algo-2");
  const JobResult fast = emulated.run(120s);
  expect_completed(fast);
  const double bytes_per_step = double(hosts.bytes_received("algo-2") - before) / kSteps;
  const auto fast_losses = losses_in(hosts.opt_ml("algo-1"));
  const auto fast_steps = step_seconds(hosts.opt_ml("algo-1"), tokens_per_step);

  constexpr double kRateBitsPerSecond = 20e6;
  hosts.limit_bandwidth("20mbit");
  const JobResult slow = emulated.run(180s);
  expect_completed(slow);
  EXPECT_EQ(losses_in(hosts.opt_ml("algo-1")), fast_losses);
  const auto slow_steps = step_seconds(hosts.opt_ml("algo-1"), tokens_per_step);

  // Medians of steps 2.. (the first step also connects the ranks).
  const auto median = [](const std::map<int, double>& seconds) {
    std::vector<double> values;
    for (const auto& [step, s] : seconds)
      if (step > 1) values.push_back(s);
    std::sort(values.begin(), values.end());
    return values.empty() ? 0.0 : values[values.size() / 2];
  };
  const double base = median(fast_steps), limited = median(slow_steps);
  const double predicted = base + bytes_per_step * 8 / kRateBitsPerSecond;
  std::printf("[ measured ] step %.3f s unlimited, %.3f s at 20 Mbit/s; %.0f KiB per step into algo-2; "
              "link model predicts %.3f s\n",
              base, limited, bytes_per_step / 1024, predicted);
  EXPECT_GT(limited, 0.75 * predicted);
  EXPECT_LT(limited, 2.0 * predicted);
}

// A stalled host: every process of a worker stopped for 10 s, then continued.
// No bounded wait fires (the ranks' communication timeout is 20 s, the host
// watch's 30 s), and the job trains exactly as without the stall.
TEST(MultiHostFaults, WorkerStoppedForTenSecondsTrainsTheSameWithoutTimeouts) {
  SKIP_WITHOUT_EMULATED_HOSTS();
  TempDir dir;
  e2e::write_lm_channels(dir);
  json job = long_job(20);
  // Long enough that the freeze lands mid-training even on a quiet machine,
  // where a step takes about 0.04 s.
  const int steps = 200;
  job["hyperparameters"]["max_steps"] = steps;
  const LocalRun reference = run_local_mode(dir, "reference", job);
  ASSERT_EQ(reference.result.exit_code, 0) << reference.result.err;

  EmulatedHosts hosts(2);
  const EmulatedJob emulated(hosts, job_spec(job, dir), dir.file("s3"));
  emulated.prepare();
  RunningJob running = emulated.start();
  ASSERT_TRUE(wait_for_step(hosts, 3, 120s)) << running.containers[0].err();
  hosts.freeze("algo-2");
  const size_t frozen_at = losses_in(hosts.opt_ml("algo-1")).size();
  std::this_thread::sleep_for(10s);
  const size_t thawed_at = losses_in(hosts.opt_ml("algo-1")).size();
  hosts.thaw("algo-2");
  const JobResult r = emulated.finish(running, 120s);
  expect_completed(r);
  EXPECT_EQ(losses_in(hosts.opt_ml("algo-1")), losses_in(reference.master_root));
  for (const auto& c : r.containers) EXPECT_EQ(c.err.find("timed out"), std::string::npos) << c.host << ": " << c.err;
  // The freeze landed in training: the master recorded at most the step in
  // flight while algo-2 was stopped, and training took the 10 s longer. (The
  // per-step times of metrics.jsonl can miss the stall: a rank measures its
  // logging window before it writes the record, and the stall can fall in
  // that write, where rank 0's output waits on the launcher.)
  EXPECT_LE(thawed_at, frozen_at + 1);
  EXPECT_LT(thawed_at, static_cast<size_t>(steps));
  const double stalled = recorded(hosts.opt_ml("algo-1"), "train_runtime");
  const double unstalled = recorded(reference.master_root, "train_runtime");
  std::printf("[ measured ] training took %.1f s with algo-2 stopped for 10 s after step %zu, %.1f s in local mode; "
              "job %.1f s\n",
              stalled, frozen_at, unstalled, r.seconds);
  EXPECT_GT(stalled - unstalled, 8.0);
}

// Stalled for longer than the communication timeout: the ranks waiting on the
// frozen host give up (within twice their 3 s timeout: a rank that times out
// with a gradient reduction in flight waits for it once more while unwinding),
// and the master, which no longer hears the host, ends the job naming it and
// its ranks after its --host_timeout_seconds.
TEST(MultiHostFaults, WorkerStoppedPastTheTimeoutsEndsTheJobNamingItsHostAndRanks) {
  SKIP_WITHOUT_EMULATED_HOSTS();
  TempDir dir;
  e2e::write_lm_channels(dir);
  EmulatedHosts hosts(2);
  const EmulatedJob emulated(hosts, job_spec(long_job(3), dir), dir.file("s3"));
  emulated.prepare();
  RunningJob running = emulated.start({"--host_timeout_seconds", "12"});
  ASSERT_TRUE(wait_for_step(hosts, 3, 120s)) << running.containers[0].err();
  const auto stalled = Clock::now();
  hosts.freeze("algo-2");
  const auto code = running.containers[0].wait_for(60s);
  const double detect = seconds_between(stalled, Clock::now());
  hosts.thaw("algo-2");
  const JobResult r = emulated.finish(running, 1s, 5s);
  std::printf("[ measured ] algo-2 stopped: the master's launcher exited %.1f s later; failure: %s", detect,
              r.failure.c_str());
  EXPECT_EQ(code, 1) << r.master().err;
  EXPECT_LT(detect, 25.0);
  EXPECT_EQ(r.failure.rfind("algo-2 (ranks 2, 3) stopped answering on port 22 for 12 s (instance down, cut off or frozen): "
                            "the job was ended; a rank had reported: rank ",
                            0),
            0u)
      << r.failure;
  EXPECT_NE(r.failure.find("timed out after 3 s waiting for peers"), std::string::npos) << r.failure << r.master().err;
  expect_no_rank_left(r);
}

}  // namespace
}  // namespace tandem::hosts
