#include "engine/train/rng_state.h"

#include "engine/error.h"

#include <ATen/Context.h>

#include <mutex>

namespace tandem {
namespace {

// ATen's generic lookup reaches the CUDA generators through its hooks, so the
// engine needs no CUDA headers and the same code runs on CPU-only machines.
at::Generator generator_of(const c10::Device& device) { return at::globalContext().defaultGenerator(device); }

}  // namespace

NamedTensors capture_rng_state() {
  NamedTensors states{{"cpu", generator_of(c10::Device(c10::kCPU)).get_state()}};
  const int devices = static_cast<int>(torch::cuda::device_count());
  for (int i = 0; i < devices; ++i) {
    const c10::Device device(c10::kCUDA, static_cast<c10::DeviceIndex>(i));
    states.emplace_back(device.str(), generator_of(device).get_state());
  }
  return states;
}

void restore_rng_state(const NamedTensors& states, const std::string& source) {
  const int devices = static_cast<int>(torch::cuda::device_count());
  for (const auto& [name, state] : states) {
    c10::Device device(c10::kCPU);
    try {
      device = c10::Device(name);
    } catch (const c10::Error&) {
      throw RuntimeFailure(source + ": RNG state \"" + name + "\" names no device");
    }
    if (device.is_cuda() && device.index() >= devices) continue;
    auto gen = generator_of(device);
    std::lock_guard<std::mutex> lock(gen.mutex());
    try {
      gen.set_state(state.to(torch::kCPU));
    } catch (const c10::Error&) {
      throw RuntimeFailure(source + ": RNG state \"" + name + "\" does not fit this build's generator");
    }
  }
}

}  // namespace tandem
