#pragma once
// The safetensors format, as Hugging Face writes it: an 8-byte little-endian
// header length, a JSON header mapping each name to dtype, shape and
// data_offsets (relative to the end of the header), then the raw bytes.

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace tandem {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// Writes atomically: to a temporary name beside `path`, renamed when complete.
void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Reads every tensor (CPU, contiguous) in its stored dtype: F32, F16, BF16
// and F64 as floating point, I64 (position_ids) and the other integer types
// as integers. The header is checked first (safetensors_header.h), so no
// allocation exceeds the file. Throws RuntimeFailure naming the file and the
// tensor (truncated, bad header, unknown dtype, overlapping data...).
std::map<std::string, torch::Tensor> load_safetensors(const std::string& path);

// Copies stored tensors into `params` by name; every parameter must be present
// with the same shape, and integer data never goes into a floating-point
// parameter (the error names the first that does not fit).
void copy_into_parameters(const std::map<std::string, torch::Tensor>& stored, const NamedTensors& params,
                          const std::string& origin);

}  // namespace tandem
