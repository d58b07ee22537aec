#pragma once
// What the training benchmarks share: the GPT shape their peer scripts build
// (byte vocabulary, d_ff = 4d, no dropout) and the optimizer the peers run.
// Their flags are in bench_args.h.

#include "engine/model/model_config.h"
#include "engine/train/optimizer.h"

namespace tandem::bench {

// `tandem train`'s AdamW defaults at the peers' learning rate (torch.optim.AdamW(lr=3e-4)).
inline AdamWSettings peer_adamw_settings() {
  AdamWSettings s = adamw_settings(TrainArgs{});
  s.lr = 3e-4;
  return s;
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
