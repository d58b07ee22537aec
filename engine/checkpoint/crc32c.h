#pragma once
// CRC-32C (Castagnoli), the checksum of checkpoint manifests
// (engine/checkpoint/checkpoint_manifest.h). Table-driven, slicing by 8, so a
// gigabyte checks in about a second on one core; no hardware instructions,
// so every machine computes the same value the same way.

#include <cstddef>
#include <cstdint>
#include <string>

namespace tandem {

// Extends `crc` (0 for a fresh checksum) over `bytes` bytes of `data`.
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t bytes);

// The CRC-32C of a whole file, read in blocks. Throws RuntimeFailure naming
// the file when it cannot be read.
uint32_t crc32c_of_file(const std::string& path);

}  // namespace tandem
