// The LM head + cross-entropy, forward and backward, on the CPU: the chunked
// kernel (kernels/lm_head_cross_entropy.h) or its full-logits twin, one per
// process (--impl chunked|full), so each peak is its own. Prints one JSON line:
// the median step time and the peak resident memory a step adds on top of the
// inputs and their gradient buffers (Linux VmHWM, reset through clear_refs
// before each step). Defaults: GPT-2's head at B=4, T=256 (N=1024 rows).

#include "benchmarks/bench_args.h"
#include "engine/model/model_config.h"
#include "kernels/lm_head_cross_entropy.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

// A /proc/self/status field in KiB (VmRSS, VmHWM).
long status_kib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
bool reset_peak() { return static_cast<bool>(std::ofstream("/proc/self/clear_refs") << "5"); }

}  // namespace

int main(int argc, char** argv) {
  const auto args = tandem::bench::parse_or_exit(tandem::bench::lm_head_flag_table(), argc, argv);
  const std::string impl = args.impl;
  const int64_t rows = static_cast<int64_t>(args.batch) * args.T;
  const int64_t d = args.d, vocab = args.vocab, chunk_rows = args.chunk_rows;
  const int steps = args.steps;
  torch::set_num_threads(args.threads);
  const int64_t padded = (vocab + tandem::kVocabPadding - 1) / tandem::kVocabPadding * tandem::kVocabPadding;

  torch::manual_seed(0);
  auto hidden = torch::randn({rows, d}).requires_grad_(true);
  auto weight = (torch::randn({padded, d}) * 0.02).requires_grad_(true);
  auto targets = torch::randint(0, vocab, {rows}, torch::kLong);
  auto loss_of = [&] {
    return impl == "chunked" ? tandem::kernels::chunked_lm_head_cross_entropy(hidden, weight, targets, vocab, chunk_rows)
                             : tandem::kernels::lm_head_cross_entropy_reference(hidden, weight, targets, vocab);
  };

  std::vector<double> seconds;
  long peak_kib = -1;  // stays -1 where clear_refs cannot be written
  double loss = 0;
  for (int s = 0; s <= steps; ++s) {  // step 0 allocates the gradient buffers and is not counted
    if (hidden.grad().defined()) {
      hidden.mutable_grad().zero_();
      weight.mutable_grad().zero_();
    }
    const bool measured = s > 0 && reset_peak();
    const long before = status_kib("VmRSS");
    const auto t0 = std::chrono::steady_clock::now();
    auto l = loss_of();
    l.backward();
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    loss = l.item<double>();
    if (s == 0) continue;
    seconds.push_back(dt);
    if (measured) peak_kib = std::max(peak_kib, status_kib("VmHWM") - before);
  }
  std::sort(seconds.begin(), seconds.end());
  const double logits_mib = static_cast<double>(impl == "chunked" ? std::min(chunk_rows, rows) : rows) *
                            (impl == "chunked" ? padded : vocab) * 4 / (1024.0 * 1024.0);
  std::printf("{\"impl\": \"%s\", \"rows\": %lld, \"d\": %lld, \"vocab\": %lld, \"padded_vocab\": %lld, "
              "\"chunk_rows\": %lld, \"loss\": %.6f, \"median_step_s\": %.3f, \"float32_logits_mib\": %.1f, "
              "\"peak_added_mib\": %.1f}\n",
              impl.c_str(), static_cast<long long>(rows), static_cast<long long>(d), static_cast<long long>(vocab),
              static_cast<long long>(padded), static_cast<long long>(chunk_rows), loss, seconds[seconds.size() / 2],
              logits_mib, peak_kib < 0 ? -1.0 : peak_kib / 1024.0);
  return 0;
}
