#include "launcher/mpirun/mpirun_command.h"

#include <cstdlib>

#include "engine/error.h"
#include "launcher/mpirun/custom_mpi_options.h"
#include "launcher/sagemaker/instance_types.h"

namespace tandem::launcher {
namespace {

// "h1:8,h2:8", or "h1,h2" when plain (one process per host, or SMDDP on one node).
std::string host_list(const MpirunSpec& spec, bool plain) {
  std::string list;
  for (const auto& host : spec.hosts) {
    list += (list.empty() ? "" : ",") + host + (plain ? "" : ":" + std::to_string(spec.processes_per_host));
  }
  return list;
}

void check_spec(const MpirunSpec& spec) {
  if (spec.hosts.empty()) throw UsageError("mpirun: no hosts");
  if (spec.processes_per_host < 1) {
    throw UsageError("processes_per_host: expected an integer >= 1, got " + std::to_string(spec.processes_per_host));
  }
  if (spec.program.empty()) throw UsageError("mpirun: no program to run");
}

void add_env(std::vector<std::string>& command, const std::string& assignment) {
  command.push_back("-x");
  command.push_back(assignment);
}

// The custom tokens after the launcher's own options, refusing repeats.
void add_custom(std::vector<std::string>& command, const CustomMpiOptions& custom) {
  reject_repeated_launcher_options(command, custom.tokens);
  command.insert(command.end(), custom.tokens.begin(), custom.tokens.end());
}

}  // namespace

std::vector<std::string> mpi_runner_command(const MpirunSpec& spec, const Env& master_env) {
  check_spec(spec);
  const auto custom = parse_custom_mpi_options(spec.custom_mpi_options);
  const int hosts = static_cast<int>(spec.hosts.size());
  const int num_processes = spec.num_processes > 0 ? spec.num_processes : spec.processes_per_host * hosts;
  const std::string& iface = spec.network_interface;
  std::vector<std::string> command = {
      "mpirun", "--host", host_list(spec, spec.processes_per_host == 1), "-np", std::to_string(num_processes),
      "--allow-run-as-root", "--display-map", "--tag-output",
      "-mca", "btl_tcp_if_include", iface, "-mca", "oob_tcp_if_include", iface,
      "-mca", "plm_rsh_no_tree_spawn", "1",
      "-bind-to", "none", "-map-by", "slot",
      "-mca", "pml", "ob1", "-mca", "btl", "^openib",
      "-mca", "orte_abort_on_non_zero_status", "1",
      "-mca", "btl_vader_single_copy_mechanism", "none",
      "-x", "NCCL_MIN_NRINGS=4", "-x", "NCCL_SOCKET_IFNAME=" + iface, "-x", "NCCL_DEBUG=" + custom.nccl_debug,
      "-x", "LD_LIBRARY_PATH", "-x", "PATH"};
  if (!spec.gethostname_preload.empty()) add_env(command, "LD_PRELOAD=" + spec.gethostname_preload);
  add_custom(command, custom);
  if (uses_efa_nccl(spec.instance_type)) {
    add_env(command, "FI_PROVIDER=efa");
    add_env(command, "NCCL_PROTO=simple");
  }
  if (uses_efa_rdma(spec.instance_type)) add_env(command, "FI_EFA_USE_DEVICE_RDMA=1");
  for (const char* credential : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}) {
    if (master_env.has(credential)) add_env(command, credential);  // the name only: the value stays out of argv
  }
  for (const auto& name : spec.forward_env) add_env(command, name);
  const auto torch_version = master_env.get("SM_DLC_TORCH_VERSION");
  if (spec.model_parallel && torch_version) {
    add_env(command, "NCCL_PROTO=simple");
    if (std::atoi(torch_version->c_str()) > 1) add_env(command, "NCCL_ALGO=ring");
  }
  if (spec.model_parallel && spec.smddpmprun) {
    command.insert(command.end(), {"smddpmprun", "-i", spec.instance_type, "--allow-bypass"});
  }
  command.insert(command.end(), spec.program.begin(), spec.program.end());
  return command;
}

std::vector<std::string> smddp_runner_command(const MpirunSpec& spec) {
  check_spec(spec);
  const auto custom = parse_custom_mpi_options(spec.custom_mpi_options);
  const int hosts = static_cast<int>(spec.hosts.size());
  const bool single_node = hosts == 1;
  const std::string& iface = spec.network_interface;
  std::vector<std::string> command = {
      "mpirun", "--host", host_list(spec, single_node), "-np", std::to_string(spec.processes_per_host * hosts),
      "--allow-run-as-root", "--tag-output", "--oversubscribe",
      "-mca", "btl_tcp_if_include", iface, "-mca", "oob_tcp_if_include", iface,
      "-mca", "plm_rsh_no_tree_spawn", "1", "-mca", "pml", "ob1", "-mca", "btl", "^openib",
      "-mca", "orte_abort_on_non_zero_status", "1", "-mca", "btl_vader_single_copy_mechanism", "none",
      "-mca", "plm_rsh_num_concurrent", std::to_string(hosts),
      "-x", "NCCL_SOCKET_IFNAME=" + iface, "-x", "NCCL_DEBUG=" + custom.nccl_debug,
      "-x", "LD_LIBRARY_PATH", "-x", "PATH",
      "-x", single_node ? "SMDATAPARALLEL_USE_SINGLENODE=1" : "SMDATAPARALLEL_USE_HOMOGENEOUS=1",
      "-x", "FI_PROVIDER=efa", "-x", "RDMAV_FORK_SAFE=1"};
  if (!spec.gethostname_preload.empty()) add_env(command, "LD_PRELOAD=" + spec.gethostname_preload);
  add_custom(command, custom);
  if (uses_efa_nccl(spec.instance_type)) add_env(command, "NCCL_PROTO=simple");
  if (uses_efa_rdma(spec.instance_type)) add_env(command, "FI_EFA_USE_DEVICE_RDMA=1");
  if (!single_node) {
    // Homogeneous mode: the SMDDP server listens on the master at port 7592.
    add_env(command, "SMDATAPARALLEL_SERVER_ADDR=" + spec.hosts.front());
    add_env(command, "SMDATAPARALLEL_SERVER_PORT=7592");
    add_env(command, "SAGEMAKER_INSTANCE_TYPE=" + spec.instance_type);
  }
  if (spec.smddprun) command.push_back("smddprun");
  command.insert(command.end(), spec.program.begin(), spec.program.end());
  return command;
}

}  // namespace tandem::launcher
