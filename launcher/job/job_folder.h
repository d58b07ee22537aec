#pragma once
// Local mode's stand-in for what SageMaker prepares on each instance: one
// /opt/ml tree per host under a job folder, <job_dir>/algo-1, algo-2, ...

#include <filesystem>
#include <string>
#include <vector>

#include "launcher/job/job_spec.h"
#include "launcher/sagemaker/container_config.h"
#include "launcher/sagemaker/host_folder.h"

namespace tandem::launcher {

// The config files SageMaker would write on `host`: hyperparameters are the
// job's plus what the SDK derives (sagemaker_program, sagemaker_mpi_*,
// mp_parameters, ...); every input is a File-mode channel.
ContainerConfig container_config_for_host(const JobSpec& job, const std::string& host,
                                          const std::string& network_interface = "eth0");

// Writes every host's tree and returns their roots in host order. Needs a
// local instance type (UsageError otherwise): only then are inputs local paths.
std::vector<std::filesystem::path> write_job_folder(const JobSpec& job, const std::filesystem::path& job_dir,
                                                    ChannelData mode, const std::string& network_interface = "eth0");

}  // namespace tandem::launcher
