#pragma once
// The world group as free functions, in the shape of smdistributed.dataparallel
// and torch.distributed: dist::init(), dist::rank(), dist::allreduce(...).
// Each is a thin call into runtime.h's world(); sub-groups come from
// world().split(...).

#include <cstddef>

#include "parallel/comm/communicator.h"
#include "parallel/comm/runtime.h"

namespace tandem::dist {

using comm::DType;
using comm::ReduceOp;

inline void init() { comm::init(); }
inline void finalize() { comm::finalize(); }
inline bool is_initialized() { return comm::initialized(); }

inline int rank() { return comm::process_info().world_rank; }
inline int size() { return comm::process_info().world_size; }
inline int local_rank() { return comm::process_info().local_rank; }
inline int local_size() { return comm::process_info().local_size; }

inline void barrier() { comm::world().barrier(); }
inline void allreduce(void* data, std::size_t count, DType dtype, ReduceOp op = ReduceOp::Sum) {
  comm::world().allreduce(data, count, dtype, op);
}
inline void broadcast(void* data, std::size_t count, DType dtype, int root = 0) {
  comm::world().broadcast(data, count, dtype, root);
}

}  // namespace tandem::dist
