#pragma once
// What the launcher knows about SageMaker instance types: GPUs per instance
// (the toolkit's default processes_per_host), the local-mode names, and the
// toolkit's EFA lists that add -x flags to mpirun (docs/sagemaker-contract.md §3.6).

#include <optional>
#include <string>
#include <vector>

namespace tandem::launcher {

// local, local_cpu, local_gpu: the SDK's local mode, run on this machine.
bool is_local_instance_type(const std::string& instance_type);

// GPUs of a known ml.* GPU type; 0 for local_cpu; nullopt when not known here
// (CPU and accelerator types, local and local_gpu, which depend on the machine).
std::optional<int> gpus_per_instance(const std::string& instance_type);

// The toolkit's SM_EFA_NCCL_INSTANCES and SM_EFA_RDMA_INSTANCES, in its order.
const std::vector<std::string>& efa_nccl_instance_types();
const std::vector<std::string>& efa_rdma_instance_types();
bool uses_efa_nccl(const std::string& instance_type);
bool uses_efa_rdma(const std::string& instance_type);

}  // namespace tandem::launcher
