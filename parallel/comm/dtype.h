#pragma once
// Element types and reductions understood by every communicator backend.
// Buffers are flat (pointer, element count, DType): this layer knows nothing of
// tensors, so the same calls serve libtorch gradients, NCCL ids and test arrays.

#include <cstddef>
#include <string>

namespace tandem::comm {

enum class DType { Float32, Float64, Float16, BFloat16, Int32, Int64, UInt8 };

// Average divides the sum by the group size after the reduction; it is refused
// for integer types because the division would silently truncate.
enum class ReduceOp { Sum, Average, Max, Min };

std::size_t dtype_size(DType dtype);      // bytes per element
const char* dtype_name(DType dtype);      // "float32", "bfloat16", ...
const char* reduce_op_name(ReduceOp op);  // "sum", "avg", "max", "min"
bool is_integer(DType dtype);

// "allreduce of 4096 float32": the subject of every error message below.
std::string describe(const char* operation, std::size_t count, DType dtype);

}  // namespace tandem::comm
