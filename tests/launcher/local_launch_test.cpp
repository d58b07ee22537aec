#include "launcher/local/local_launch.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "engine/error.h"
#include "tests/common/error_matchers.h"
#include "tests/common/temp_dir.h"

namespace tandem::launcher {
namespace {

using nlohmann::json;
using Words = std::vector<std::string>;

class LocalPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("data/train/a.txt", "text");
    machine_.cpus = 8;
    machine_.tandem_binary = "/build/tandem";
  }
  LocalLaunch plan(const std::string& job_text) const {
    return make_local_launch(parse_job_spec(json::parse(job_text), dir_.path()), dir_.path() / "job", dir_.path(),
                             machine_);
  }
  // The tokens of app context `host` (0-based) of an MPMD command.
  static Words app_context(const Words& command, int host) {
    auto begin = std::find(command.begin(), command.end(), "-np");
    for (int i = 0; i < host; ++i) begin = std::find(std::find(begin, command.end(), ":"), command.end(), "-np");
    return Words(begin, std::find(begin, command.end(), ":"));
  }
  // What a rank of this context gets for `name`: -x NAME=value, or -x NAME
  // with the value from mpirun's own environment.
  static std::string value_of(const LocalLaunch& p, const Words& context, const std::string& name) {
    for (size_t i = 0; i + 1 < context.size(); ++i) {
      if (context[i] != "-x") continue;
      if (context[i + 1].rfind(name + "=", 0) == 0) return context[i + 1].substr(name.size() + 1);
      if (context[i + 1] == name) return p.forwarded_environment.count(name) ? p.forwarded_environment.at(name) : "<no value>";
    }
    return "<unset>";
  }

  TempDir dir_;
  Machine machine_;
};

TEST_F(LocalPlanTest, TwoHostsAreTwoAppContextsOfOneMpirun) {
  const auto p = plan(R"({"instance_type": "local_cpu", "instance_count": 2,
      "hyperparameters": {"max_steps": 3, "lr_scheduler_type": "x; touch /tmp/tandem-injected"},
      "distribution": {"mpi": {"enabled": true, "processes_per_host": 2, "custom_mpi_options": "-x FI_X=1 -mca btl_tcp_links 2"}},
      "inputs": {"train": "data/train"}, "environment": {"MY_FLAG": "on"}})");
  const auto job = dir_.path() / "job";
  EXPECT_EQ(p.processes_per_host, 2);
  EXPECT_EQ(p.checkpoints, job / "checkpoints");
  EXPECT_EQ(p.checkpoint_link, "checkpoints");
  EXPECT_EQ(p.program, (Words{"/build/tandem", "train", "--lr_scheduler_type", "x; touch /tmp/tandem-injected",
                              "--max_steps", "3"}));
  // Job-wide flags first (MCA parameters, custom ones included, apply to all contexts).
  EXPECT_EQ(Words(p.command.begin(), p.command.begin() + 17),
            (Words{"mpirun", "--oversubscribe", "--allow-run-as-root", "--tag-output", "-bind-to", "none", "-map-by", "slot",
                   "-mca", "orte_abort_on_non_zero_status", "1", "-mca", "btl_vader_single_copy_mechanism", "none",
                   "-mca", "btl_tcp_links", "2"}));
  EXPECT_EQ(std::count(p.command.begin(), p.command.end(), ":"), 1);
  for (int host = 0; host < 2; ++host) {
    const std::string name = "algo-" + std::to_string(host + 1);
    const Words context = app_context(p.command, host);
    EXPECT_EQ(Words(context.begin(), context.begin() + 4), (Words{"-np", "2", "-wdir", (job / name).string()}));
    EXPECT_EQ(value_of(p, context, "SM_CURRENT_HOST"), name);
    EXPECT_EQ(value_of(p, context, "SM_HOSTS"), R"(["algo-1","algo-2"])");
    EXPECT_EQ(value_of(p, context, "SM_MODEL_DIR"), (job / name / "model").string());
    EXPECT_EQ(value_of(p, context, "SM_OUTPUT_DIR"), (job / name / "output").string());
    EXPECT_EQ(value_of(p, context, "SM_CHANNEL_TRAIN"), (job / name / "input/data/train").string());
    EXPECT_EQ(value_of(p, context, "SM_NETWORK_INTERFACE_NAME"), "lo");
    EXPECT_EQ(value_of(p, context, "SM_NUM_GPUS"), "0");
    EXPECT_EQ(value_of(p, context, "MY_FLAG"), "on");
    EXPECT_EQ(value_of(p, context, "FI_X"), "1");  // custom -x: per context, or only algo-1 would see it
    EXPECT_EQ(value_of(p, context, "OMP_NUM_THREADS"), "2");  // 8 cores over 4 ranks
    EXPECT_EQ(Words(context.end() - p.program.size(), context.end()), p.program);
  }
  ASSERT_EQ(p.layout.ranks.size(), 4u);
  EXPECT_EQ(p.layout.ranks[2].host_index, 1);
  EXPECT_EQ(p.layout.ranks[2].local_rank, 0);
}

// The job's environment (credentials among it) reaches the ranks by name:
// mpirun's argv, `ps` and --dry-run show the name, mpirun's own environment
// holds the value. What differs per host, and what steers mpirun itself, stays NAME=value.
TEST_F(LocalPlanTest, EnvironmentValuesTravelByNameNotInArgv) {
  const auto p = plan(R"({"instance_type": "local_cpu", "instance_count": 2,
      "environment": {"AWS_SECRET_ACCESS_KEY": "s3cr3t", "LD_PRELOAD": "/lib/shim.so"}})");
  for (const auto& token : p.command) EXPECT_EQ(token.find("s3cr3t"), std::string::npos) << token;
  EXPECT_EQ(p.forwarded_environment.at("AWS_SECRET_ACCESS_KEY"), "s3cr3t");
  EXPECT_EQ(p.forwarded_environment.count("SM_CURRENT_HOST"), 0u);
  EXPECT_EQ(p.forwarded_environment.count("LD_PRELOAD"), 0u);
  for (int host = 0; host < 2; ++host) {
    const Words context = app_context(p.command, host);
    EXPECT_NE(std::find(context.begin(), context.end(), "AWS_SECRET_ACCESS_KEY"), context.end());
    EXPECT_EQ(value_of(p, context, "AWS_SECRET_ACCESS_KEY"), "s3cr3t");
    EXPECT_EQ(value_of(p, context, "SM_CURRENT_HOST"), "algo-" + std::to_string(host + 1));
    EXPECT_NE(std::find(context.begin(), context.end(), "LD_PRELOAD=/lib/shim.so"), context.end());
  }
}

TEST_F(LocalPlanTest, ACustomEntryPointRunsThroughTheShellFromTheCodeFolder) {
  dir_.write("scripts/show_args.sh", "#!/bin/sh\n");
  const auto p = plan(R"({"instance_type": "local", "entry_point": "scripts/show_args.sh",
      "hyperparameters": {"name": "a b"}, "checkpoint_s3_uri": "file://ckpt", "environment": {"OMP_NUM_THREADS": "3"}})");
  EXPECT_EQ(p.entry_script, std::filesystem::path("scripts/show_args.sh"));
  EXPECT_EQ(p.program, (Words{"/bin/sh", "-c", "./scripts/show_args.sh --name 'a b'"}));
  EXPECT_EQ(p.hosts[0].cwd, dir_.path() / "job/algo-1/code");
  EXPECT_EQ(p.checkpoints, dir_.path() / "ckpt");
  EXPECT_EQ(value_of(p, app_context(p.command, 0), "OMP_NUM_THREADS"), "3");
}

TEST_F(LocalPlanTest, LocalGpuTakesOneRankPerGpuOfTheMachine) {
  machine_.gpus = 3;
  const auto p = plan(R"({"instance_type": "local_gpu", "distribution": {"mpi": {"enabled": true}}})");
  EXPECT_EQ(p.processes_per_host, 3);
  EXPECT_EQ(value_of(p, app_context(p.command, 0), "SM_NUM_GPUS"), "3");
}

TEST_F(LocalPlanTest, WhatCannotRunHere) {
  EXPECT_ERROR(plan(R"({"instance_type": "ml.p4d.24xlarge"})"), UsageError,
               "instance_type ml.p4d.24xlarge: runs on SageMaker; for this machine pass --local");
  EXPECT_ERROR(plan(R"({"instance_type": "local_gpu", "distribution": {"mpi": {"enabled": true}}})"), UsageError,
               "instance_type local_gpu: this machine has no GPU");
  EXPECT_ERROR(plan(R"({"instance_type": "local", "entry_point": "missing.sh"})"), UsageError,
               "entry_point: " + (dir_.path() / "missing.sh").string() + " does not exist");
  EXPECT_ERROR(plan(R"({"instance_type": "local", "entry_point": "/bin/true"})"), UsageError,
               "entry_point: \"/bin/true\" must be a path inside the job file's folder");
  EXPECT_ERROR(plan(R"({"instance_type": "local", "checkpoint_local_path": "/data/ckpt"})"), UsageError,
               "checkpoint_local_path: local mode emulates /opt/ml on each host");
  EXPECT_ERROR(plan(R"({"instance_type": "local", "distribution": {"mpi": {"enabled": true,
                   "custom_mpi_options": "--oversubscribe"}}})"),
               UsageError, "custom_mpi_options: \"--oversubscribe\" is already set by the launcher");
}

}  // namespace
}  // namespace tandem::launcher
