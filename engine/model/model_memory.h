#pragma once
// Whether a model's parameters can fit in this process's memory at all,
// checked from its config before anything is allocated. config.json is a few
// bytes; its sizes must not drive libtorch into an allocation that fails deep
// inside a layer constructor with the allocator's own message.

#include "engine/model/model_config.h"

#include <cstdint>

namespace tandem {

// float32 bytes of the whole model's parameters (embeddings, every layer,
// head), as a double so no product of config fields can overflow.
double parameter_bytes(const ModelConfig& config);

// The bytes this process may use: physical memory, or the address-space
// limit (ulimit -v) when lower. 0 when neither is known.
uint64_t memory_available_to_process();

// UsageError naming the model and its sizes when parameter_bytes alone exceed
// memory_available_to_process() (parameters, gradients and AdamW need 4x more).
void check_model_fits_in_memory(const ModelConfig& config, const std::string& source);

}  // namespace tandem
