#pragma once
// Choosing a communicator backend: the trainer's --comm_backend and the memory
// the buffers live in decide between MPI and NCCL.

#include <memory>
#include <string>

#include "parallel/comm/communicator.h"

namespace tandem::comm {

enum class Backend { Auto, Mpi, Nccl };
// Where the buffers handed to the communicator live. MPI moves host memory: a
// caller with CUDA tensors on the MPI backend stages them through host buffers.
enum class Memory { Host, Cuda };

// "auto", "mpi" or "nccl"; UsageError naming the choices otherwise.
Backend parse_backend(const std::string& name);
const char* backend_name(Backend backend);
// Was this build configured with NCCL (TANDEM_NCCL)?
bool nccl_built();

// Auto is NCCL for CUDA memory when NCCL is built, else MPI. UsageError when
// NCCL is asked for without NCCL in the build or for host memory.
Backend resolve_backend(Backend requested, Memory memory);

// Collective over the world: a new group of every process on the resolved
// backend. NCCL runs on `cuda_device`, the device the caller's tensors live
// on (cuda_device_for in device_rule.h); MPI ignores it.
std::unique_ptr<Communicator> make_communicator(Backend requested, Memory memory, int cuda_device = 0);
// The same over the processes of `host_world`, a group that moves host memory
// (the world group, or a fake world in tests). Collective over it.
std::unique_ptr<Communicator> make_communicator(Communicator& host_world, Backend requested, Memory memory,
                                                int cuda_device = 0);

}  // namespace tandem::comm
