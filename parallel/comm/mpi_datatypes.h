#pragma once
// DType and ReduceOp in MPI terms (internal to parallel/comm; MPI thread only).
// MPI has no 16-bit floats: float16/bfloat16 travel as MPI_UINT16_T and reduce
// through user-defined ops that widen each pair to float and round once.
// Average is a sum followed by divide_by_size.

#include <cstddef>

#include "parallel/comm/dtype.h"
#include "parallel/comm/mpi_c.h"

namespace tandem::comm {

MPI_Datatype mpi_datatype(DType dtype);
MPI_Op mpi_op(DType dtype, ReduceOp op);

// data[i] /= group_size, rounding once in the element type (floating types only).
void divide_by_size(void* data, std::size_t count, DType dtype, int group_size);

// Create and free the 16-bit float ops; between MPI_Init and MPI_Finalize.
void create_half_ops();
void free_half_ops();

}  // namespace tandem::comm
