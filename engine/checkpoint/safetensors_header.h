#pragma once
// The safetensors header, parsed and checked without torch (so the fuzz
// target, fuzz/safetensors_fuzz.cpp, links nothing big): the 8-byte length
// within the file, well-formed JSON with no repeated key, known dtypes,
// dtype x shape = bytes without overflow, offsets inside the data section
// and no two tensors sharing bytes. Once it returns, every tensor's bytes lie
// in the file, so reading them allocates at most the file's size.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tandem {

enum class StoredDtype { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

const char* stored_dtype_name(StoredDtype d);
size_t stored_dtype_size(StoredDtype d);
bool stored_dtype_is_integer(StoredDtype d);  // I*, U8 and BOOL: never read into float weights

struct StoredTensor {
  std::string name;
  StoredDtype dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte offsets within the data section
};

struct SafetensorsHeader {
  uint64_t data_start = 0;  // 8 + header length: where the data section begins in the file
  std::vector<StoredTensor> tensors;
  std::map<std::string, std::string> metadata;
};

// `prefix` holds at least the file's first min(file_size, 8 + header length)
// bytes (the length word and the JSON). Throws RuntimeFailure with one line
// naming `path` and, where one is at fault, the tensor.
SafetensorsHeader parse_safetensors_header(const std::string& path, std::string_view prefix, uint64_t file_size);

// How many leading bytes parse_safetensors_header needs, read from the length
// word (0 when the file is shorter than 8 bytes, which the parser refuses).
uint64_t safetensors_header_extent(std::string_view first8, uint64_t file_size);

}  // namespace tandem
