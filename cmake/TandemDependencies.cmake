# Finds every dependency once, so the module CMakeLists only link targets.

find_package(Threads REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(MPI REQUIRED COMPONENTS C)

# Debian's libtorch lives under the multiarch prefix; the GPU machine passes
# CMAKE_PREFIX_PATH from torch.utils.cmake_prefix_path.
find_package(Torch REQUIRED)

set(TANDEM_HAVE_CUDA OFF)
if(NOT TANDEM_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  find_package(CUDAToolkit QUIET)
  if(CMAKE_CUDA_COMPILER AND CUDAToolkit_FOUND AND (TORCH_CUDA_LIBRARIES OR TANDEM_CUDA STREQUAL "ON"))
    enable_language(CUDA)
    set(TANDEM_HAVE_CUDA ON)
  elseif(TANDEM_CUDA STREQUAL "ON")
    message(FATAL_ERROR "TANDEM_CUDA=ON but no CUDA compiler/toolkit was found")
  endif()
endif()

set(TANDEM_HAVE_NCCL OFF)
if(TANDEM_HAVE_CUDA AND NOT TANDEM_NCCL STREQUAL "OFF")
  # NCCL comes with the CUDA toolkit (this machine), as a system package, or in
  # the PyTorch wheel's venv as nvidia/nccl with only libnccl.so.2 (GPU machine).
  set(_tandem_nccl_roots ${NCCL_ROOT} $ENV{NCCL_ROOT})
  if(Torch_DIR)
    list(APPEND _tandem_nccl_roots "${Torch_DIR}/../../../../nvidia/nccl")
  endif()
  find_path(NCCL_INCLUDE_DIR nccl.h
    HINTS ${_tandem_nccl_roots} ${CUDAToolkit_INCLUDE_DIRS} /usr/include PATH_SUFFIXES include)
  find_library(NCCL_LIBRARY NAMES nccl libnccl.so.2
    HINTS ${_tandem_nccl_roots} ${CUDAToolkit_LIBRARY_DIR} /usr/lib/x86_64-linux-gnu PATH_SUFFIXES lib lib64)
  if(NCCL_INCLUDE_DIR AND NCCL_LIBRARY)
    set(TANDEM_HAVE_NCCL ON)
  elseif(TANDEM_NCCL STREQUAL "ON")
    message(FATAL_ERROR "TANDEM_NCCL=ON but nccl.h / libnccl were not found")
  endif()
endif()
message(STATUS "tandem: CUDA ${TANDEM_HAVE_CUDA}, NCCL ${TANDEM_HAVE_NCCL}, Torch ${Torch_VERSION}")

# Warnings for our own targets only (libtorch headers are included as SYSTEM).
function(tandem_target_defaults target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter>)
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
endfunction()
