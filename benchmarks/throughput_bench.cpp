// Single-process training throughput of the engine: the GPT forward, backward
// and AdamW step on a random byte batch, timed per step. Prints one JSON line
// (median tokens/s); benchmarks/compare_single_process.sh runs it beside the
// PyTorch peer (peer/torch_gpt_throughput.py) with the same shape and threads.

#include "benchmarks/bench_common.h"
#include "engine/model/transformer_model.h"
#include "engine/train/optimizer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  using tandem::bench::flag;
  const int layers = flag(argc, argv, "layers", 4), d = flag(argc, argv, "d", 256), heads = flag(argc, argv, "heads", 4);
  const int T = flag(argc, argv, "T", 256), B = flag(argc, argv, "batch", 8);
  const int steps = flag(argc, argv, "steps", 20), warmup = flag(argc, argv, "warmup", 3);
  const int threads = flag(argc, argv, "threads", 1);
  torch::set_num_threads(threads);

  const tandem::ModelConfig c = tandem::bench::gpt_shape(layers, d, heads, T);
  auto model = tandem::TransformerModel::build(c, 0);
  auto opt = std::make_unique<tandem::AdamW>(model.named_parameters(), tandem::AdamWSettings{3e-4, 0.9, 0.999, 1e-8, 0.0});
  auto ids = torch::randint(0, 256, {B, T + 1}, torch::kLong);
  auto x = ids.slice(1, 0, T), y = ids.slice(1, 1, T + 1).contiguous();

  std::vector<double> seconds;
  for (int s = 0; s < warmup + steps; ++s) {
    const auto t0 = std::chrono::steady_clock::now();
    opt->zero_grad();
    auto loss = model.loss(x, tandem::BatchContext{x, {}}, y).loss;
    loss.backward();
    opt->step();
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s >= warmup) seconds.push_back(dt);
  }
  std::sort(seconds.begin(), seconds.end());
  const double median = seconds[seconds.size() / 2];
  std::printf("{\"impl\": \"tandem\", \"layers\": %d, \"d\": %d, \"T\": %d, \"batch\": %d, \"threads\": %d, "
              "\"median_step_s\": %.6f, \"tokens_per_second\": %.1f}\n",
              layers, d, T, B, threads, median, B * T / median);
  return 0;
}
