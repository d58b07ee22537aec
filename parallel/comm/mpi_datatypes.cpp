#include "parallel/comm/mpi_datatypes.h"

#include <algorithm>
#include <cstdint>

#include "parallel/comm/half.h"
#include "parallel/comm/mpi_thread.h"

namespace tandem::comm {

namespace {

struct Plus {
  float operator()(float a, float b) const { return a + b; }
};
struct Larger {
  float operator()(float a, float b) const { return std::max(a, b); }
};
struct Smaller {
  float operator()(float a, float b) const { return std::min(a, b); }
};

// MPI_User_function over 16-bit floats: inout[i] = combine(in[i], inout[i]).
template <float (*ToFloat)(uint16_t), uint16_t (*FromFloat)(float), class Combine>
void combine_half(void* in, void* inout, int* length, MPI_Datatype*) {
  const auto* a = static_cast<const uint16_t*>(in);
  auto* b = static_cast<uint16_t*>(inout);
  for (int i = 0; i < *length; ++i) b[i] = FromFloat(Combine()(ToFloat(a[i]), ToFloat(b[i])));
}

// Indexed [half kind: 0 float16, 1 bfloat16][op: sum, max, min].
MPI_Op g_half_ops[2][3] = {{MPI_OP_NULL, MPI_OP_NULL, MPI_OP_NULL},
                           {MPI_OP_NULL, MPI_OP_NULL, MPI_OP_NULL}};
MPI_User_function* const kHalfFunctions[2][3] = {
    {combine_half<fp16_to_float, float_to_fp16, Plus>,
     combine_half<fp16_to_float, float_to_fp16, Larger>,
     combine_half<fp16_to_float, float_to_fp16, Smaller>},
    {combine_half<bf16_to_float, float_to_bf16, Plus>,
     combine_half<bf16_to_float, float_to_bf16, Larger>,
     combine_half<bf16_to_float, float_to_bf16, Smaller>}};

int op_index(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum:
    case ReduceOp::Average: return 0;
    case ReduceOp::Max: return 1;
    case ReduceOp::Min: return 2;
  }
  return 0;
}

template <class T>
void divide(T* data, std::size_t count, T divisor) {
  for (std::size_t i = 0; i < count; ++i) data[i] /= divisor;
}

template <float (*ToFloat)(uint16_t), uint16_t (*FromFloat)(float)>
void divide_half(uint16_t* data, std::size_t count, float divisor) {
  for (std::size_t i = 0; i < count; ++i) data[i] = FromFloat(ToFloat(data[i]) / divisor);
}

}  // namespace

MPI_Datatype mpi_datatype(DType dtype) {
  switch (dtype) {
    case DType::Float32: return MPI_FLOAT;
    case DType::Float64: return MPI_DOUBLE;
    case DType::Float16:
    case DType::BFloat16: return MPI_UINT16_T;
    case DType::Int32: return MPI_INT32_T;
    case DType::Int64: return MPI_INT64_T;
    case DType::UInt8: return MPI_UINT8_T;
  }
  return MPI_DATATYPE_NULL;
}

MPI_Op mpi_op(DType dtype, ReduceOp op) {
  if (dtype == DType::Float16) return g_half_ops[0][op_index(op)];
  if (dtype == DType::BFloat16) return g_half_ops[1][op_index(op)];
  const MPI_Op builtin[3] = {MPI_SUM, MPI_MAX, MPI_MIN};
  return builtin[op_index(op)];
}

void divide_by_size(void* data, std::size_t count, DType dtype, int group_size) {
  switch (dtype) {
    case DType::Float32: divide(static_cast<float*>(data), count, float(group_size)); break;
    case DType::Float64: divide(static_cast<double*>(data), count, double(group_size)); break;
    case DType::Float16:
      divide_half<fp16_to_float, float_to_fp16>(static_cast<uint16_t*>(data), count,
                                                float(group_size));
      break;
    case DType::BFloat16:
      divide_half<bf16_to_float, float_to_bf16>(static_cast<uint16_t*>(data), count,
                                                float(group_size));
      break;
    case DType::Int32:
    case DType::Int64:
    case DType::UInt8: break;  // refused before reaching a backend (Communicator::check_reduction)
  }
}

void create_half_ops() {
  for (int kind = 0; kind < 2; ++kind) {
    for (int op = 0; op < 3; ++op) {
      check_mpi(MPI_Op_create(kHalfFunctions[kind][op], /*commute=*/1, &g_half_ops[kind][op]),
                "MPI_Op_create");
    }
  }
}

void free_half_ops() {
  for (auto& ops : g_half_ops) {
    for (MPI_Op& op : ops) {
      if (op != MPI_OP_NULL) check_mpi(MPI_Op_free(&op), "MPI_Op_free");
    }
  }
}

}  // namespace tandem::comm
