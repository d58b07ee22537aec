// libFuzzer target: any bytes as a safetensors file's start. The header
// parser must return or throw RuntimeFailure, never crash or read outside the
// input (ASan), and what it accepts must fit in the file it describes.
#include "engine/checkpoint/safetensors_header.h"
#include "engine/error.h"

#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const auto header = tandem::parse_safetensors_header("fuzz", bytes, size);
    uint64_t total = 0;
    for (const auto& t : header.tensors) {
      if (t.end < t.begin || header.data_start + t.end > size) std::abort();
      total += t.end - t.begin;
    }
    if (header.data_start + total > size) std::abort();  // no two tensors share bytes
  } catch (const tandem::RuntimeFailure&) {
  }
  return 0;
}
