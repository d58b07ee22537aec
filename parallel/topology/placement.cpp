#include "parallel/topology/placement.h"

#include <algorithm>

#include "engine/error.h"

namespace tandem::parallel {

namespace {

bool is_letter_permutation(std::string letters) {
  std::sort(letters.begin(), letters.end());
  return letters == "DP" || letters == "DPT";
}

}  // namespace

Placement parse_placement(const std::string& placement_strategy) {
  if (placement_strategy == "cluster") return Placement{"DP"};
  if (placement_strategy == "spread") return Placement{"PD"};
  if (is_letter_permutation(placement_strategy)) {
    std::string axes = placement_strategy;
    axes.erase(std::remove(axes.begin(), axes.end(), 'T'), axes.end());
    return Placement{axes};
  }
  throw UsageError("placement_strategy=\"" + placement_strategy +
                   "\" is not \"cluster\", \"spread\" or a permutation of the letters D, P, T "
                   "(e.g. \"DPT\", \"TPD\")");
}

}  // namespace tandem::parallel
