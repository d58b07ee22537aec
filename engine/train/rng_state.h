#pragma once
// The random-number state a checkpoint carries for bitwise resume: the CPU
// generator (initialisation, CPU dropout) and, beside it, every CUDA device's
// generator (GPU dropout). Loaded states go back to the device they came from.

#include "engine/checkpoint/safetensors.h"

namespace tandem {

// {"cpu": state, "cuda:0": state, ...}: one entry per generator this process can see.
NamedTensors capture_rng_state();
// Restores what `states` holds; CUDA entries for devices this process cannot
// see are skipped (a CPU resume of a GPU run, or fewer visible devices).
void restore_rng_state(const NamedTensors& states, const std::string& source);

}  // namespace tandem
