#pragma once
// Inside a SageMaker training container: what this host knows from
// /opt/ml/input/config and what the training toolkit would do with it
// (docs/sagemaker-contract.md §3.1, §3.5-§3.7). Pure: the same description feeds
// `--dry-run` and the real run.
//
// The runner follows the PyTorch toolkit's order: sagemaker_mpi_enabled -> the
// MPI runner (§3.6, SMP and plain MPI); sagemaker_distributed_dataparallel_enabled
// -> the SMDDP runner (§3.7); otherwise the program runs once per host,
// without MPI. Only the master (the first host) starts mpirun.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "launcher/distribution/distribution.h"
#include "launcher/env/env.h"
#include "launcher/sagemaker/container_config.h"
#include "parallel/topology/layout.h"

namespace tandem::launcher {

enum class Runner { Mpi, SmDataParallel, Process };

struct ContainerMachine {
  int gpus = 0;
  int cpus = 1;
  Env environment;  // the container's: PATH (smddprun, smddpmprun), SM_DLC_TORCH_VERSION, AWS_*, PYTHONPATH
};

struct ContainerJob {
  std::filesystem::path root;                    // /opt/ml
  ResourceConfig resource;
  Distribution distribution;
  Runner runner = Runner::Process;
  std::string instance_type;
  int processes_per_host = 1;
  std::string entry_point;                       // sagemaker_program ("tandem train" when absent)
  std::vector<std::string> program;              // /bin/sh -c "./<entry_point> <args>", run from root/code
  std::map<std::string, std::string> environment;  // SM_* and PYTHONPATH, as the toolkit sets them
  parallel::ParallelLayout layout;               // the MPI world; one rank for the Process runner

  const std::string& master() const { return resource.hosts.front(); }
  bool is_master() const { return resource.current_host == master(); }
  std::vector<std::string> workers() const { return {resource.hosts.begin() + 1, resource.hosts.end()}; }
};

ContainerJob describe_container_job(const ContainerConfig& config, const std::filesystem::path& root,
                                    const ContainerMachine& machine);

// What the master runs: the toolkit's mpirun command for the MPI and SMDDP
// runners, the program itself for the Process runner.
std::vector<std::string> master_command(const ContainerJob& job, const ContainerMachine& machine);

}  // namespace tandem::launcher
