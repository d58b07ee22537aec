#include "launcher/job/job_folder.h"

#include "engine/error.h"

namespace tandem::launcher {

ContainerConfig container_config_for_host(const JobSpec& job, const std::string& host,
                                          const std::string& network_interface) {
  ContainerConfig config;
  config.resource.current_host = host;
  config.resource.hosts = job.hosts();
  config.resource.network_interface_name = network_interface;
  config.resource.current_instance_type = job.instance_type;

  config.hyperparameters = job.hyperparameters;
  config.hyperparameters.update(distribution_hyperparameters(job.distribution, job.instance_type));
  config.hyperparameters["sagemaker_program"] = job.entry_point;

  for (const auto& [channel, location] : job.inputs) {
    config.input_data_config[channel] = {
        {"TrainingInputMode", "File"}, {"S3DistributionType", "FullyReplicated"}, {"RecordWrapperType", "None"}};
  }
  return config;
}

std::vector<std::filesystem::path> write_job_folder(const JobSpec& job, const std::filesystem::path& job_dir,
                                                    ChannelData mode, const std::string& network_interface) {
  if (!job.is_local()) {
    throw UsageError("instance_type: local mode runs local, local_cpu or local_gpu, got \"" + job.instance_type + "\"");
  }
  std::map<std::string, std::filesystem::path> channels(job.inputs.begin(), job.inputs.end());
  std::vector<std::filesystem::path> roots;
  for (const auto& host : job.hosts()) {
    roots.push_back(job_dir / host);
    write_host_folder(roots.back(), container_config_for_host(job, host, network_interface), channels, mode);
  }
  return roots;
}

}  // namespace tandem::launcher
