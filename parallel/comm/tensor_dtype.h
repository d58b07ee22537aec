#pragma once
// The communicator dtype of a libtorch tensor, for the torch-side callers of
// the communicators (reducer, pipeline executor). tandem_comm itself has no
// torch: only code that already includes torch includes this header.

#include "engine/error.h"
#include "parallel/comm/dtype.h"

#include <torch/torch.h>

#include <string>

namespace tandem::comm {

// `what` names the caller in the error for a dtype no communicator carries.
inline DType dtype_of(const torch::Tensor& t, const std::string& what) {
  switch (t.scalar_type()) {
    case torch::kFloat32: return DType::Float32;
    case torch::kFloat64: return DType::Float64;
    case torch::kBFloat16: return DType::BFloat16;
    case torch::kFloat16: return DType::Float16;
    case torch::kInt32: return DType::Int32;
    case torch::kInt64: return DType::Int64;
    case torch::kUInt8: return DType::UInt8;
    default: throw RuntimeFailure(what + ": cannot communicate a tensor of " + c10::toString(t.scalar_type()));
  }
}

}  // namespace tandem::comm
