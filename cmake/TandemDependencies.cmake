# Finds every dependency once, so the module CMakeLists only link targets.

find_package(Threads REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(MPI REQUIRED COMPONENTS C)

# PyPI's libtorch keeps statically linked copies of std::filesystem in its
# dynamic symbol table (pytorch/pytorch issue 133437). When libtorch.so comes
# before libstdc++.so.6 in an executable's NEEDED list, calls such as
# std::filesystem::remove_all bind to libtorch's copy and crash. libstdc++ is
# therefore the first library every executable needs; tests/link_order guards it.
add_link_options("LINKER:--push-state,--no-as-needed" -lstdc++ "LINKER:--pop-state")

# One libtorch: the one of the Python that scripts/torch_python.sh picks
# (TANDEM_PYTHON, python3 with torch >= 2.4, or the project's .venv).
# Passing Torch_DIR or a CMAKE_PREFIX_PATH that holds torch overrides it.
if(NOT Torch_DIR)
  execute_process(COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/torch_python.sh
    OUTPUT_VARIABLE _tandem_python OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_VARIABLE _tandem_python_error ERROR_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _tandem_python_rc)
  if(NOT _tandem_python_rc EQUAL 0)
    message(FATAL_ERROR "tandem: no Python with torch >= 2.4 was found. ${_tandem_python_error}\n"
      "Run scripts/setup.sh (it installs torch==2.11.0 from PyPI into .venv/) or set TANDEM_PYTHON.")
  endif()
  execute_process(COMMAND ${_tandem_python} -c "import torch.utils; print(torch.utils.cmake_prefix_path)"
    OUTPUT_VARIABLE _tandem_torch_prefix OUTPUT_STRIP_TRAILING_WHITESPACE)
  list(PREPEND CMAKE_PREFIX_PATH ${_tandem_torch_prefix})
  set(TANDEM_PYTHON ${_tandem_python} CACHE FILEPATH "The Python whose torch tandem links (also runs the PyTorch peers)")
endif()

# The CUDA architectures for our kernels and for torch's own CMake (which reads
# TORCH_CUDA_ARCH_LIST and ignores CMAKE_CUDA_ARCHITECTURES): a short list
# keeps compile time down. sm_70 (V100, ml.p3dn) needs a CUDA 12.x libtorch: see README.
set(TANDEM_CUDA_ARCHITECTURES "80;90" CACHE STRING "CUDA architectures to compile for")
if(NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  string(REPLACE ";" " " _tandem_arch "${TANDEM_CUDA_ARCHITECTURES}")
  string(REGEX REPLACE "([0-9])([0-9])" "\\1.\\2" _tandem_arch "${_tandem_arch}")
  set(ENV{TORCH_CUDA_ARCH_LIST} "${_tandem_arch}")
endif()

if(NOT TANDEM_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  find_package(CUDAToolkit QUIET)
endif()
find_package(Torch REQUIRED)

# Headers and library must come from the same torch: with two installed
# (a Debian libtorch-dev beside a PyPI torch) the search can pair one's
# headers with the other's libtorch.so, which fails at run time.
get_target_property(_tandem_torch_location torch IMPORTED_LOCATION)
if(NOT _tandem_torch_location)
  get_target_property(_tandem_torch_location torch IMPORTED_LOCATION_RELEASE)
endif()
get_filename_component(_tandem_torch_location "${_tandem_torch_location}" REALPATH)
get_filename_component(_tandem_torch_home "${TORCH_INSTALL_PREFIX}" REALPATH)
list(GET TORCH_INCLUDE_DIRS 0 _tandem_torch_include)
get_filename_component(_tandem_torch_include "${_tandem_torch_include}" REALPATH)
string(FIND "${_tandem_torch_location}" "${_tandem_torch_home}/" _tandem_lib_at)
string(FIND "${_tandem_torch_include}/" "${_tandem_torch_home}/" _tandem_include_at)
if(NOT _tandem_lib_at EQUAL 0 OR NOT _tandem_include_at EQUAL 0 OR NOT EXISTS "${_tandem_torch_include}/torch/script.h")
  message(FATAL_ERROR "tandem: the torch library found (${_tandem_torch_location}) does not sit beside "
    "the torch headers in use (${_tandem_torch_include}). Keep one libtorch on this machine, "
    "or point Torch_DIR at the one to use.")
endif()
if(Torch_VERSION VERSION_LESS 2.4)
  message(FATAL_ERROR "tandem: torch ${Torch_VERSION} found at ${_tandem_torch_home}; tandem needs torch >= 2.4")
endif()

# CUDA and NCCL are on whenever nvcc and a CUDA libtorch are present, so every
# build compiles and links the GPU code. -DTANDEM_CUDA=OFF gives a CPU-only engine.
set(TANDEM_HAVE_CUDA OFF)
if(NOT TANDEM_CUDA STREQUAL "OFF")
  if(CMAKE_CUDA_COMPILER AND CUDAToolkit_FOUND AND TORCH_CUDA_LIBRARIES)
    set(CMAKE_CUDA_ARCHITECTURES ${TANDEM_CUDA_ARCHITECTURES})
    enable_language(CUDA)
    set(TANDEM_HAVE_CUDA ON)
  elseif(TANDEM_CUDA STREQUAL "ON")
    message(FATAL_ERROR "TANDEM_CUDA=ON needs nvcc, the CUDA toolkit and a CUDA build of libtorch")
  endif()
endif()

set(TANDEM_HAVE_NCCL OFF)
if(TANDEM_HAVE_CUDA AND NOT TANDEM_NCCL STREQUAL "OFF")
  # NCCL comes with PyPI's torch as nvidia/nccl (the version libtorch itself
  # loads), with the CUDA toolkit, or as a system package.
  set(_tandem_nccl_roots ${NCCL_ROOT} $ENV{NCCL_ROOT} "${_tandem_torch_home}/../nvidia/nccl"
                         "${_tandem_torch_home}/../nvidia/cu13" "${_tandem_torch_home}/../nvidia/cu12")
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
message(STATUS "tandem: torch ${Torch_VERSION} at ${_tandem_torch_home}; CUDA ${TANDEM_HAVE_CUDA}, NCCL ${TANDEM_HAVE_NCCL}")

# Warnings for our own targets only (libtorch headers are included as SYSTEM).
function(tandem_target_defaults target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter>)
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  if(TANDEM_HAVE_CUDA)
    target_compile_definitions(${target} PUBLIC TANDEM_HAVE_CUDA=1)
  endif()
endfunction()
