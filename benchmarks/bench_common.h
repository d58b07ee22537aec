#pragma once
// What every benchmark binary shares: `--name value` flags and the GPT shape
// its peer scripts build (byte vocabulary, d_ff = 4d, no dropout).

#include "engine/model/model_config.h"

#include <cstdlib>
#include <string>

namespace tandem::bench {

inline std::string text_flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == "--" + name) return argv[i + 1];
  return fallback;
}

inline int flag(int argc, char** argv, const std::string& name, int fallback) {
  const std::string value = text_flag(argc, argv, name, "");
  return value.empty() ? fallback : std::atoi(value.c_str());
}

inline ModelConfig gpt_shape(int layers, int d, int heads, int block) {
  ModelConfig c = preset_config("gpt-tiny");
  c.name = "bench";
  c.n_layer = layers;
  c.n_head = heads;
  c.d_model = d;
  c.d_ff = 4 * d;
  c.max_position = block;
  return c;
}

}  // namespace tandem::bench
