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
  find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/include)
  find_library(NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR} /usr/lib/x86_64-linux-gnu)
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
