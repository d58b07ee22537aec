#include "engine/model/model_memory.h"

#include "engine/error.h"

#include <cstdio>
#include <sys/resource.h>
#include <unistd.h>

namespace tandem {

double parameter_bytes(const ModelConfig& c) {
  const double d = c.d_model, ff = c.d_ff;
  const double vocab = static_cast<double>(c.vocab_size) + 63;  // padded_vocab() at most, without its int overflow
  const double embeddings = (vocab + c.max_position + c.type_vocab_size) * d;
  const double per_layer = 4 * d * d + 2 * d * ff + 9 * d + ff;  // attention, MLP, norms and biases
  const double head = c.tie_embeddings ? 0.0 : vocab * d;
  const double classifier = c.family == ModelFamily::Encoder ? (d + c.num_labels) * d : 0.0;
  return 4.0 * (embeddings + c.n_layer * per_layer + head + classifier);
}

uint64_t memory_available_to_process() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page_size = ::sysconf(_SC_PAGE_SIZE);
  uint64_t available = pages > 0 && page_size > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size) : 0;
  rlimit limit{};
  if (::getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      (available == 0 || limit.rlim_cur < available))
    available = limit.rlim_cur;
  return available;
}

void check_model_fits_in_memory(const ModelConfig& config, const std::string& source) {
  const double needed = parameter_bytes(config);
  const uint64_t available = memory_available_to_process();
  if (available == 0 || needed <= static_cast<double>(available)) return;
  char sizes[160];
  std::snprintf(sizes, sizeof sizes, "%.1f GiB of float32 parameters, more than the %.1f GiB this process may use",
                needed / (1ull << 30), static_cast<double>(available) / (1ull << 30));
  throw UsageError(source + ": the model's sizes (n_layer " + std::to_string(config.n_layer) + ", d_model " +
                   std::to_string(config.d_model) + ", d_ff " + std::to_string(config.d_ff) + ", vocab_size " +
                   std::to_string(config.vocab_size) + ") need " + sizes + " (expected a model that fits)");
}

}  // namespace tandem
