// tandem launch: a SageMaker training job from its estimator arguments.
//   JOB.json, local instance type  -> emulated hosts on this machine (local/)
//   JOB.json --dry-run             -> the command and rank table, nothing run;
//                                     for ml.* types the master's command in the container
//   no JOB.json, in a container    -> this host's part of the job (container/)

#include "engine/error.h"
#include "launcher/cli/launch_args.h"
#include "launcher/commands/commands.h"
#include "launcher/config/json_fields.h"
#include "launcher/container/container_job.h"
#include "launcher/container/container_run.h"
#include "launcher/job/job_folder.h"
#include "launcher/job/job_spec.h"
#include "launcher/local/local_launch.h"
#include "launcher/local/local_run.h"
#include "launcher/sagemaker/instance_types.h"
#include "launcher/shell/shlex.h"
#include "parallel/topology/layout_report.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <regex>
#include <thread>

namespace tandem::commands {
namespace {
namespace fs = std::filesystem;
using namespace tandem::launcher;

// The job file with the command line's overrides applied before validation,
// which depends on them (inputs, processes per GPU).
JobSpec read_job(const LaunchArgs& args) {
  const fs::path& file = *args.job_file;
  nlohmann::json content = parse_json_text(read_text_file(file), file.string());
  expect_object(content, {file.string(), ""});
  if (args.local && content.contains("instance_type") && content["instance_type"].is_string() &&
      !is_local_instance_type(content["instance_type"].get<std::string>())) {
    content["instance_type"] = "local_cpu";
  }
  if (args.instance_count) content["instance_count"] = *args.instance_count;
  if (args.processes_per_host) content["distribution"]["mpi"]["processes_per_host"] = *args.processes_per_host;
  return parse_job_spec(content, file.parent_path(), file.string());
}

// GPUs as the device files the driver creates: /dev/nvidia0, /dev/nvidia1, ...
int count_gpus() {
  static const std::regex device("nvidia[0-9]+");
  int count = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/dev", ec))
    if (std::regex_match(entry.path().filename().string(), device)) ++count;
  return count;
}

int count_cpus() { return std::max(1u, std::thread::hardware_concurrency()); }

fs::path this_binary() { return fs::read_symlink("/proc/self/exe"); }

void print_dry_run(const LaunchArgs& args, const std::string& mode, const std::vector<std::string>& command,
                   const std::string& cwd, const parallel::ParallelLayout& layout) {
  if (args.format == "json") {
    std::cout << nlohmann::json{{"mode", mode}, {"cwd", cwd}, {"command", command}, {"ranks", layout}}.dump(2) << "\n";
    return;
  }
  std::cout << mode << "\n\ncommand (from " << cwd << "):\n" << format_command_for_display(command) << "\n\n"
            << parallel::render_rank_table(layout);
}

int launch_job_file(const LaunchArgs& args) {
  const JobSpec job = read_job(args);
  const fs::path job_file_dir = args.job_file->parent_path();
  if (!job.is_local()) {
    if (!args.dry_run) {
      throw UsageError("instance_type " + job.instance_type +
                       " runs on SageMaker: add --dry-run to see its command, or --local to run it here scaled down");
    }
    // What algo-1 would run in the container, from the files SageMaker would write there.
    ContainerMachine machine;
    machine.gpus = gpus_per_instance(job.instance_type).value_or(0);
    machine.environment = Env::from_process();
    const ContainerJob container = describe_container_job(container_config_for_host(job, "algo-1"), "/opt/ml", machine);
    print_dry_run(args,
                  "SageMaker: master algo-1 of " + std::to_string(job.instance_count) + " x " + job.instance_type + ", " +
                      std::to_string(container.processes_per_host) + " process(es) per host",
                  master_command(container, machine), (container.root / "code").string(), container.layout);
    return 0;
  }
  Machine machine;
  machine.gpus = count_gpus();
  machine.cpus = count_cpus();
  machine.tandem_binary = this_binary();
  machine.environment = Env::from_process().vars();
  const fs::path job_dir = args.job_dir ? *args.job_dir : fs::current_path() / "runs" / args.job_file->stem();
  const LocalLaunch plan = make_local_launch(job, job_dir, job_file_dir, machine);
  if (args.dry_run) {
    print_dry_run(args,
                  "local: " + std::to_string(plan.hosts.size()) + " emulated host(s) x " +
                      std::to_string(plan.processes_per_host) + " process(es), job folder " + plan.job_dir.string(),
                  plan.command, fs::current_path().string(), plan.layout);
    return 0;
  }
  return run_local_job(job, plan, job_file_dir, args.stop_grace_seconds);
}

int launch_in_container(const LaunchArgs& args) {
  const ContainerConfig config = read_container_config(args.opt_ml / "input" / "config");
  ContainerMachine machine;
  machine.gpus = count_gpus();
  machine.cpus = count_cpus();
  machine.environment = Env::from_process();
  const ContainerJob job = describe_container_job(config, args.opt_ml, machine);
  if (args.dry_run) {
    const std::string role = job.is_master() || job.runner == Runner::Process
                                 ? "runs the command below"
                                 : "is a worker: it waits while the master runs the command below";
    print_dry_run(args, "SageMaker container: " + job.resource.current_host + " " + role,
                  master_command(job, machine), (job.root / "code").string(), job.layout);
    return 0;
  }
  ContainerRun run;
  run.tandem_binary = this_binary();
  run.stop_grace_seconds = args.stop_grace_seconds;
  if (args.host_wait_seconds) run.host_wait = std::chrono::seconds(*args.host_wait_seconds);
  if (args.host_timeout_seconds) run.host_watch.limit = std::chrono::seconds(*args.host_timeout_seconds);
  return run_container_job(job, machine, run);
}

}  // namespace

std::string launch_usage() { return launcher::launch_flag_table().help(); }

int launch(const std::vector<std::string>& argv) {
  const launcher::LaunchArgs args = launcher::parse_launch_args(argv);
  launcher::validate_launch_args(args);
  if (args.job_file) return launch_job_file(args);
  const bool in_container = args.sagemaker || fs::exists(args.opt_ml / "input" / "config" / "resourceconfig.json");
  if (!in_container) throw UsageError("expected a job file: tandem launch JOB.json (tandem launch --help)");
  return launch_in_container(args);
}

}  // namespace tandem::commands
