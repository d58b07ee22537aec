#include "launcher/container/container_job.h"

#include "launcher/mpirun/mpirun_command.h"
#include "launcher/sagemaker/entry_point.h"
#include "launcher/sagemaker/hyperparameters.h"
#include "launcher/sagemaker/training_environment.h"
#include "launcher/supervisor/child_process.h"
#include "parallel/topology/placement.h"

namespace tandem::launcher {
namespace {

Runner pick_runner(const Distribution& d) {
  if (d.mpi_enabled) return Runner::Mpi;
  if (d.strategy == Distribution::Strategy::DataParallel) return Runner::SmDataParallel;
  return Runner::Process;
}

bool on_path(const std::string& program, const Env& environment) {
  return find_on_path(program, environment.get("PATH").value_or("")).has_value();
}

}  // namespace

ContainerJob describe_container_job(const ContainerConfig& config, const std::filesystem::path& root,
                                    const ContainerMachine& machine) {
  ContainerJob job;
  job.root = root;
  job.resource = config.resource;
  job.distribution = distribution_from_hyperparameters(config.hyperparameters);
  job.runner = pick_runner(job.distribution);
  job.instance_type = !job.distribution.instance_type.empty() ? job.distribution.instance_type
                                                              : config.resource.current_instance_type;
  // The toolkit's default: one process per GPU, else one.
  job.processes_per_host = job.distribution.processes_per_host > 0 ? job.distribution.processes_per_host
                           : machine.gpus > 0                      ? machine.gpus
                                                                   : 1;
  const auto program = config.hyperparameters.find("sagemaker_program");
  job.entry_point = program != config.hyperparameters.end() && program->is_string() ? program->get<std::string>()
                                                                                      : "tandem train";
  job.program = entry_point_shell_command(job.entry_point, hyperparameters_to_argv(config.hyperparameters));

  TrainingEnvironmentSpec spec;
  spec.root = root;
  spec.config = config;
  spec.num_gpus = machine.gpus;
  spec.num_cpus = machine.cpus;
  job.environment = sagemaker_environment(spec);
  const auto python_path = machine.environment.get("PYTHONPATH");
  job.environment["PYTHONPATH"] = (root / "code").string() + (python_path ? ":" + *python_path : "");

  const int hosts = static_cast<int>(job.resource.hosts.size());
  if (job.runner == Runner::Process) {
    job.layout = parallel::make_layout(1, 1, parallel::parse_placement("cluster"), 1);
  } else {
    const int world = job.distribution.num_processes > 0 ? job.distribution.num_processes
                                                         : job.processes_per_host * hosts;
    const auto& mp = job.distribution.mp;
    job.layout = parallel::make_layout(world, mp ? mp->pp_size : 1,
                                       parallel::parse_placement(mp ? mp->placement_strategy : "cluster"),
                                       job.processes_per_host);
  }
  return job;
}

std::vector<std::string> master_command(const ContainerJob& job, const ContainerMachine& machine) {
  if (job.runner == Runner::Process) return job.program;
  MpirunSpec spec;
  spec.hosts = job.resource.hosts;
  spec.processes_per_host = job.processes_per_host;
  spec.num_processes = job.distribution.num_processes;
  spec.network_interface = job.resource.network_interface_name;
  spec.instance_type = job.instance_type;
  spec.program = job.program;
  if (job.runner == Runner::SmDataParallel) {
    spec.custom_mpi_options = job.distribution.dataparallel_custom_mpi_options;
    spec.smddprun = on_path("smddprun", machine.environment);
    return smddp_runner_command(spec);
  }
  spec.custom_mpi_options = job.distribution.custom_mpi_options;
  // The SM_* names in order, then PYTHONPATH, as the toolkit lists them.
  for (const auto& [name, value] : job.environment)
    if (name != "PYTHONPATH") spec.forward_env.push_back(name);
  spec.forward_env.push_back("PYTHONPATH");
  spec.model_parallel = job.distribution.mp.has_value();
  spec.smddpmprun = spec.model_parallel && job.distribution.mp->ddp_dist_backend == "auto" &&
                    on_path("smddpmprun", machine.environment);
  return mpi_runner_command(spec, machine.environment);
}

}  // namespace tandem::launcher
