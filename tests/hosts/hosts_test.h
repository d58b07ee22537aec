#pragma once
// What the multi-host tests share: skipping where hosts cannot be made, the
// jobs they run (gpt-tiny, a few steps, one thread per rank so every run sums
// in the same order), the reference runs in local mode, and reading what a
// job left on its master.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "launcher/job/job_spec.h"
#include "tests/e2e/launch_jobs.h"
#include "tests/hosts/support/emulated_job.h"

// Skips the test, saying why, where namespaces, root or sshd are missing.
#define SKIP_WITHOUT_EMULATED_HOSTS()                                  \
  do {                                                                 \
    static const std::string why = tandem::hosts::why_hosts_unavailable(); \
    if (!why.empty()) GTEST_SKIP() << why;                             \
  } while (0)

namespace tandem::hosts {

using e2e::RunResult;
using nlohmann::json;

// fp32 on the CPU: one process with the global batch sums in another order.
constexpr double kRelTol = 1e-5;

// The seed's metric regexes (examples/jobs/metrics.json).
inline json seed_metric_definitions() {
  return json::parse(e2e::slurp(TANDEM_SOURCE_DIR "/examples/jobs/metrics.json"))["metric_definitions"];
}

// hosts x processes of data-parallel gpt-tiny on the tiny corpus, evaluated
// at the end, with the seed's metric regexes.
inline json data_parallel_job(int hosts, int processes, int steps) {
  json job = e2e::tiny_job(hosts, processes, steps);
  job["hyperparameters"]["num_threads"] = 1;
  job["metric_definitions"] = seed_metric_definitions();
  return job;
}

// The seed's model-parallel job (examples/jobs/model-parallel.json: its
// distribution dict, 4 partitions over 2 x 8 GPUs) scaled down to 2 hosts x 2
// processes and 2 partitions, training gpt-tiny for a few steps.
inline json model_parallel_job(int steps) {
  json job = json::parse(e2e::slurp(TANDEM_SOURCE_DIR "/examples/jobs/model-parallel.json"));
  job["instance_type"] = "local_cpu";
  job["distribution"]["smdistributed"]["modelparallel"]["parameters"]["partitions"] = 2;
  job["distribution"]["mpi"]["processes_per_host"] = 2;
  job["hyperparameters"].update({{"model_name_or_path", "gpt-tiny"}, {"max_steps", steps}, {"block_size", 16},
                                 {"per_device_train_batch_size", 4}, {"logging_steps", 1}, {"save_steps", 0},
                                 {"num_threads", 1}});
  job["inputs"] = {{"train", "data/train"}, {"test", "data/test"}};
  job["metric_definitions"] = seed_metric_definitions();
  return job;
}

// The same job as one process training the global batch.
inline json as_one_process(json job) {
  const int hosts = job["instance_count"].get<int>();
  const int processes = job["distribution"]["mpi"]["processes_per_host"].get<int>();
  auto& hp = job["hyperparameters"];
  int dp = hosts * processes;
  const auto& smd = job["distribution"].value("smdistributed", json::object());
  if (smd.contains("modelparallel")) dp /= smd["modelparallel"]["parameters"]["partitions"].get<int>();
  hp["per_device_train_batch_size"] = hp["per_device_train_batch_size"].get<int>() * dp;
  job["instance_count"] = 1;
  job["distribution"] = {{"mpi", {{"enabled", true}, {"processes_per_host", 1}}}};
  return job;
}

inline launcher::JobSpec job_spec(const json& job, const TempDir& dir) {
  return launcher::parse_job_spec(job, dir.path(), "test job");
}

// A local-mode run (`tandem launch JOB.json`, every host a folder here) of the
// same job: the reference a multi-host run must reproduce.
struct LocalRun {
  RunResult result;
  std::string master_root;  // <job_dir>/algo-1
};

inline LocalRun run_local_mode(const TempDir& dir, const std::string& name, const json& job) {
  LocalRun run;
  run.result = e2e::launch({e2e::write_job(dir, name + ".json", job), "--job_dir", dir.file(name)}, dir);
  run.master_root = dir.file(name + "/algo-1");
  return run;
}

inline std::map<int, double> losses_in(const std::filesystem::path& opt_ml) {
  return e2e::losses_by_step((opt_ml / "output/data/metrics.jsonl").string());
}

// One value of the final or eval record of metrics.jsonl; NaN when absent.
inline double recorded(const std::filesystem::path& opt_ml, const std::string& key) {
  for (const auto& record : e2e::read_jsonl((opt_ml / "output/data/metrics.jsonl").string()))
    if (record.contains(key)) return record[key].get<double>();
  return std::nan("");
}

// Seconds of each training step: tokens_per_second is logged every step
// (logging_steps 1) over a window of one step.
inline std::map<int, double> step_seconds(const std::filesystem::path& opt_ml, double tokens_per_step) {
  std::map<int, double> seconds;
  for (const auto& record : e2e::read_jsonl((opt_ml / "output/data/metrics.jsonl").string()))
    if (record.contains("loss") && record.contains("tokens_per_second"))
      seconds[record["step"].get<int>()] = tokens_per_step / record["tokens_per_second"].get<double>();
  return seconds;
}

inline std::vector<std::string> folder_listing(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Every container ended as a completed job's do, and left nothing behind.
inline void expect_completed(const JobResult& r) {
  for (const auto& c : r.containers) {
    EXPECT_EQ(c.exit_code, 0) << c.host << " stdout:\n" << c.out << "\nstderr:\n" << c.err;
    EXPECT_TRUE(c.left_running.empty()) << c.host << " still runs " << testing::PrintToString(c.left_running);
  }
  EXPECT_TRUE(r.success_marker);
  EXPECT_EQ(r.failure, "");
}

}  // namespace tandem::hosts
