#pragma once
// The only way this project includes mpi.h: the C API alone. Open MPI's and
// MPICH's headers otherwise pull in the deprecated C++ bindings when compiled
// as C++, whose symbols live in a library (libmpi_cxx) nobody links.

#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>
