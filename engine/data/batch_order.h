#pragma once
// Which examples make up each step. The order is a deterministic shuffle of
// (seed, epoch) with our own generator (std::shuffle differs between standard
// libraries); step s of an epoch takes positions [s*G, (s+1)*G) of it, where G
// is the global batch; a data-parallel rank takes its contiguous slice. So one
// process with batch N*b and N processes with batch b see the same examples.

#include <cstdint>
#include <vector>

namespace tandem {

class BatchOrder {
 public:
  BatchOrder(size_t dataset_size, size_t global_batch, uint64_t seed, bool shuffle = true);

  size_t steps_per_epoch() const { return dataset_size_ / global_batch_; }
  // Indices of the global batch at (epoch, step_in_epoch), sliced to [begin, end) of it.
  std::vector<size_t> indices(uint64_t epoch, size_t step_in_epoch, size_t begin, size_t end) const;

 private:
  const std::vector<size_t>& permutation(uint64_t epoch) const;

  size_t dataset_size_, global_batch_;
  uint64_t seed_;
  bool shuffle_;
  mutable uint64_t cached_epoch_ = UINT64_MAX;
  mutable std::vector<size_t> cached_;
};

}  // namespace tandem
