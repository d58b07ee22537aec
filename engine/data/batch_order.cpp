#include "engine/data/batch_order.h"

#include "engine/error.h"

#include <numeric>
#include <string>

namespace tandem {
namespace {

// splitmix64: a tiny, well-mixed generator with the same output everywhere.
uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

BatchOrder::BatchOrder(size_t dataset_size, size_t global_batch, uint64_t seed, bool shuffle)
    : dataset_size_(dataset_size), global_batch_(global_batch), seed_(seed), shuffle_(shuffle) {
  if (global_batch == 0) throw UsageError("global batch size must be positive");
  if (dataset_size < global_batch)
    throw UsageError("the global batch of " + std::to_string(global_batch) + " examples does not fit the " +
                     std::to_string(dataset_size) + " examples of the training data (lower per_device_train_batch_size, "
                     "gradient_accumulation_steps or block_size)");
}

const std::vector<size_t>& BatchOrder::permutation(uint64_t epoch) const {
  if (cached_epoch_ == epoch) return cached_;
  cached_.resize(dataset_size_);
  std::iota(cached_.begin(), cached_.end(), size_t{0});
  if (shuffle_) {
    uint64_t state = seed_ * 0x100000001B3ULL + epoch;
    for (size_t i = dataset_size_; i > 1; --i) {
      // Multiply-shift maps the 64-bit draw onto [0, i) without modulo bias worth caring about here.
      const size_t j = static_cast<size_t>((static_cast<unsigned __int128>(splitmix64(state)) * i) >> 64);
      std::swap(cached_[i - 1], cached_[j]);
    }
  }
  cached_epoch_ = epoch;
  return cached_;
}

std::vector<size_t> BatchOrder::indices(uint64_t epoch, size_t step_in_epoch, size_t begin, size_t end) const {
  const auto& perm = permutation(epoch);
  const size_t base = step_in_epoch * global_batch_;
  return std::vector<size_t>(perm.begin() + base + begin, perm.begin() + base + end);
}

}  // namespace tandem
