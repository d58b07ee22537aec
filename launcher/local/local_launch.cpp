#include "launcher/local/local_launch.h"

#include <algorithm>

#include "engine/error.h"
#include "launcher/job/job_folder.h"
#include "launcher/mpirun/custom_mpi_options.h"
#include "launcher/mpirun/local_mpirun.h"
#include "launcher/sagemaker/entry_point.h"
#include "launcher/sagemaker/hyperparameters.h"
#include "launcher/sagemaker/training_environment.h"
#include "launcher/shell/shlex.h"
#include "parallel/topology/placement.h"

namespace tandem::launcher {
namespace {
namespace fs = std::filesystem;

// Local ranks talk over the loopback interface.
constexpr const char* kNetworkInterface = "lo";

int resolve_processes_per_host(const JobSpec& job, const Machine& machine) {
  if (job.processes_per_host > 0) return job.processes_per_host;
  // 0: one rank per GPU of the machine (local_gpu).
  if (machine.gpus < 1) {
    throw UsageError("instance_type local_gpu: this machine has no GPU; use local_cpu or set "
                     "distribution.mpi.processes_per_host");
  }
  return machine.gpus;
}

// checkpoint_local_path inside an emulated host's /opt/ml.
fs::path checkpoint_link(const JobSpec& job) {
  const std::string prefix = "/opt/ml/";
  const fs::path path = fs::path(job.checkpoint_local_path).lexically_normal();
  const std::string text = path.string();
  if (text.rfind(prefix, 0) != 0 || text.size() == prefix.size()) {
    throw UsageError("checkpoint_local_path: local mode emulates /opt/ml on each host, so it must lie under /opt/ml/, got \"" +
                     job.checkpoint_local_path + "\"");
  }
  return text.substr(prefix.size());
}

// mpirun's -x pairs apply to one app context, so custom ones are repeated
// for every host; everything else applies to the whole job.
struct SplitOptions {
  std::vector<std::string> global;
  std::vector<std::string> per_host;
};

SplitOptions split_custom_options(const std::vector<std::string>& tokens) {
  SplitOptions split;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if ((tokens[i] == "-x" || tokens[i] == "--x") && i + 1 < tokens.size()) {
      split.per_host.insert(split.per_host.end(), {"-x", tokens[i + 1]});
      ++i;
    } else {
      split.global.push_back(tokens[i]);
    }
  }
  return split;
}

// Variables that steer mpirun and its daemons themselves: set only for the
// ranks (-x NAME=value), never in mpirun's own environment.
bool steers_mpirun(const std::string& name) {
  for (const char* prefix : {"LD_", "OMPI_", "OPAL_", "PMIX_", "PRTE_", "ORTE_"})
    if (name.rfind(prefix, 0) == 0) return true;
  return name == "PATH";
}

// The values every host has alike (the job's environment, credentials among
// them, and most SM_* variables): they travel by name, so argv, `ps` and
// --dry-run show names, not values.
std::map<std::string, std::string> shared_values(const std::vector<EmulatedHost>& hosts) {
  std::map<std::string, std::string> shared;
  for (const auto& [key, value] : hosts.front().environment) {
    if (steers_mpirun(key)) continue;
    bool same = true;
    for (const auto& host : hosts) {
      const auto it = host.environment.find(key);
      same = same && it != host.environment.end() && it->second == value;
    }
    if (same) shared[key] = value;
  }
  return shared;
}

}  // namespace

LocalLaunch make_local_launch(const JobSpec& job, const fs::path& job_dir, const fs::path& job_file_dir,
                            const Machine& machine) {
  if (!job.is_local()) {
    throw UsageError("instance_type " + job.instance_type +
                     ": runs on SageMaker; for this machine pass --local (instance_type local_cpu) or use --dry-run");
  }
  LocalLaunch plan;
  plan.job_dir = fs::absolute(job_dir).lexically_normal();
  plan.processes_per_host = resolve_processes_per_host(job, machine);
  plan.checkpoints = job.checkpoint_s3_uri.empty() ? plan.job_dir / "checkpoints" : fs::path(job.checkpoint_s3_uri);
  plan.checkpoint_link = checkpoint_link(job);

  const int world = plan.processes_per_host * job.instance_count;
  const Distribution& d = job.distribution;
  plan.layout = parallel::make_layout(world, d.mp ? d.mp->pp_size : 1,
                                      parallel::parse_placement(d.mp ? d.mp->placement_strategy : "cluster"),
                                      plan.processes_per_host);

  // What each rank runs: this binary for `tandem <subcommand>`; otherwise the
  // toolkit's `/bin/sh -c "./<entry_point> <args>"` from the code folder.
  const auto words = shlex_split(job.entry_point, "entry_point");
  const bool runs_tandem = words.front() == "tandem";
  const auto argv = hyperparameters_to_argv(container_config_for_host(job, "algo-1").hyperparameters);
  if (runs_tandem) {
    plan.program = {machine.tandem_binary.string()};
    plan.program.insert(plan.program.end(), words.begin() + 1, words.end());
    plan.program.insert(plan.program.end(), argv.begin(), argv.end());
  } else {
    const fs::path script = words.front();
    if (script.is_absolute() || std::find(script.begin(), script.end(), "..") != script.end()) {
      throw UsageError("entry_point: \"" + script.string() +
                       "\" must be a path inside the job file's folder (relative, no ..), or \"tandem train\"");
    }
    if (!fs::is_regular_file(job_file_dir / script)) {
      throw UsageError("entry_point: " + (job_file_dir / script).string() +
                       " does not exist (scripts are found relative to the job file's folder)");
    }
    plan.entry_script = script;
    plan.program = entry_point_shell_command(job.entry_point, argv);
  }

  const Distribution::Strategy strategy = d.strategy;
  const auto custom = parse_custom_mpi_options(strategy == Distribution::Strategy::DataParallel
                                                   ? d.dataparallel_custom_mpi_options
                                                   : d.custom_mpi_options);
  const SplitOptions custom_split = split_custom_options(custom.tokens);
  plan.command = local_mpirun_options();
  reject_repeated_launcher_options(plan.command, custom.tokens);
  plan.command.insert(plan.command.end(), custom_split.global.begin(), custom_split.global.end());

  // torchrun's rule for several ranks on one machine: split the cores, unless told.
  const bool threads_given = job.environment.count("OMP_NUM_THREADS") || machine.environment.count("OMP_NUM_THREADS");
  const int gpus = job.instance_type == "local_gpu" ? machine.gpus : 0;
  for (const auto& name : job.hosts()) {
    EmulatedHost host;
    host.name = name;
    host.root = plan.job_dir / name;
    host.cwd = runs_tandem ? host.root : host.root / "code";
    // A container has /opt/ml/checkpoints, tandem train's default output_dir;
    // here the relative default `checkpoints` from the host root plays its part.
    TrainingEnvironmentSpec spec;
    spec.root = host.root;
    spec.config = container_config_for_host(job, name, kNetworkInterface);
    spec.num_gpus = gpus;
    spec.num_cpus = machine.cpus;
    host.environment = sagemaker_environment(spec);
    for (const auto& [key, value] : job.environment) host.environment[key] = value;
    host.environment["NCCL_DEBUG"] = custom.nccl_debug;
    if (!threads_given) host.environment["OMP_NUM_THREADS"] = std::to_string(std::max(1, machine.cpus / world));
    plan.hosts.push_back(std::move(host));
  }
  plan.forwarded_environment = shared_values(plan.hosts);
  for (const auto& host : plan.hosts) {
    if (&host != &plan.hosts.front()) plan.command.push_back(":");
    plan.command.insert(plan.command.end(), {"-np", std::to_string(plan.processes_per_host), "-wdir", host.cwd.string()});
    for (const auto& [key, value] : host.environment)
      plan.command.insert(plan.command.end(),
                          {"-x", plan.forwarded_environment.count(key) ? key : key + "=" + value});
    plan.command.insert(plan.command.end(), custom_split.per_host.begin(), custom_split.per_host.end());
    plan.command.insert(plan.command.end(), plan.program.begin(), plan.program.end());
  }
  return plan;
}

}  // namespace tandem::launcher
