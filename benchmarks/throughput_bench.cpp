// Single-process training throughput of the engine: the GPT forward, backward
// and AdamW step on a random byte batch, timed per step. Prints one JSON line
// (median tokens/s); benchmarks/compare_single_process.sh runs it beside the
// PyTorch peer (peer/torch_gpt_throughput.py) with the same shape and threads.

#include "benchmarks/bench_args.h"
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
  const auto args = tandem::bench::parse_or_exit(tandem::bench::throughput_flag_table(), argc, argv);
  const int layers = args.layers, d = args.d, heads = args.heads, T = args.T, B = args.batch;
  const int steps = args.steps, warmup = args.warmup, threads = args.threads;
  torch::set_num_threads(threads);

  const tandem::ModelConfig c = tandem::bench::gpt_shape(layers, d, heads, T);
  auto model = tandem::TransformerModel::build(c, 0);
  auto opt = std::make_unique<tandem::AdamW>(model.named_parameters(), tandem::bench::peer_adamw_settings());
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
