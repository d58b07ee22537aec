#pragma once
// Placement: the order in which world ranks walk the (data, pipeline) grid.
// SMP's placement_strategy is "cluster", "spread", or a permutation of the
// letters D, P, T; ranks are numbered in mixed radix with the right-most letter
// varying fastest (docs/sagemaker-contract.md §1.3). Tensor parallelism is fixed at 1,
// so T is a size-1 axis and is dropped.

#include <string>

namespace tandem::parallel {

struct Placement {
  // Axes from slowest to fastest varying: "DP" (cluster: a replica's stages sit
  // on neighbouring ranks) or "PD" (spread: a replica's stages are dp ranks apart).
  std::string axes;

  bool operator==(const Placement& other) const { return axes == other.axes; }
};

// "cluster" -> DP, "spread" -> PD, "DPT"/"TDP"/"PD"/... -> the letters without T.
// Throws UsageError naming placement_strategy and the accepted values.
Placement parse_placement(const std::string& placement_strategy);

}  // namespace tandem::parallel
