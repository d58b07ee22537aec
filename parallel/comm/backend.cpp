#include "parallel/comm/backend.h"

#include "engine/error.h"
#include "parallel/comm/runtime.h"

#ifdef TANDEM_HAVE_NCCL
#include "parallel/comm/nccl/nccl_communicator.h"
#endif

namespace tandem::comm {

Backend parse_backend(const std::string& name) {
  if (name == "auto") return Backend::Auto;
  if (name == "mpi") return Backend::Mpi;
  if (name == "nccl") return Backend::Nccl;
  throw UsageError("--comm_backend: unknown backend '" + name + "': expected auto, mpi or nccl");
}

const char* backend_name(Backend backend) {
  switch (backend) {
    case Backend::Auto: return "auto";
    case Backend::Mpi: return "mpi";
    case Backend::Nccl: return "nccl";
  }
  return "unknown";
}

bool nccl_built() {
#ifdef TANDEM_HAVE_NCCL
  return true;
#else
  return false;
#endif
}

Backend resolve_backend(Backend requested, Memory memory) {
  switch (requested) {
    case Backend::Auto:
      return nccl_built() && memory == Memory::Cuda ? Backend::Nccl : Backend::Mpi;
    case Backend::Mpi: return Backend::Mpi;
    case Backend::Nccl:
      if (!nccl_built()) {
        throw UsageError(
            "--comm_backend nccl: this build has no NCCL; configure with "
            "-DTANDEM_CUDA=ON -DTANDEM_NCCL=ON where CUDA and NCCL are installed, "
            "or use --comm_backend mpi");
      }
      if (memory == Memory::Host) {
        throw UsageError(
            "--comm_backend nccl: NCCL moves CUDA memory but this run keeps its "
            "buffers on the CPU; use --comm_backend mpi or auto");
      }
      return Backend::Nccl;
  }
  return Backend::Mpi;
}

std::unique_ptr<Communicator> make_communicator(Backend requested, Memory memory, int cuda_device) {
  return make_communicator(world(), requested, memory, cuda_device);
}

std::unique_ptr<Communicator> make_communicator(Communicator& host_world, Backend requested, Memory memory,
                                                int cuda_device) {
  [[maybe_unused]] const Backend backend = resolve_backend(requested, memory);
  // A split with one color is a private copy of the world: its operations
  // cannot match those of other users of the world group.
  std::unique_ptr<Communicator> group = host_world.split(0, host_world.rank());
#ifdef TANDEM_HAVE_NCCL
  if (backend == Backend::Nccl) {
    return std::make_unique<NcclCommunicator>(std::move(group), cuda_device);
  }
#endif
  return group;
}

}  // namespace tandem::comm
