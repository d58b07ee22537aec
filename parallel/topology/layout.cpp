#include "parallel/topology/layout.h"

#include <stdexcept>

#include "engine/error.h"

namespace tandem::parallel {

namespace {

void check_arguments(int world_size, int pp_size, int processes_per_host) {
  if (world_size < 1) throw UsageError("world size " + std::to_string(world_size) + " must be >= 1");
  if (pp_size < 1) throw UsageError("partitions=" + std::to_string(pp_size) + " must be >= 1");
  if (world_size % pp_size != 0) {
    throw UsageError("partitions=" + std::to_string(pp_size) + " does not divide world size " +
                     std::to_string(world_size));
  }
  if (processes_per_host < 1 || world_size % processes_per_host != 0) {
    throw UsageError("processes_per_host=" + std::to_string(processes_per_host) + " does not divide world size " +
                     std::to_string(world_size));
  }
}

void check_index(const char* name, int value, int size) {
  if (value < 0 || value >= size) {
    throw std::out_of_range(std::string(name) + "=" + std::to_string(value) + " is outside [0, " +
                            std::to_string(size) + ")");
  }
}

}  // namespace

ParallelLayout make_layout(int world_size, int pp_size, const Placement& placement, int processes_per_host) {
  check_arguments(world_size, pp_size, processes_per_host);
  ParallelLayout layout;
  layout.world_size = world_size;
  layout.pp_size = pp_size;
  layout.dp_size = world_size / pp_size;
  layout.processes_per_host = processes_per_host;
  layout.placement = placement;
  layout.ranks.reserve(world_size);
  for (int rank = 0; rank < world_size; ++rank) {
    RankCoordinates coordinates;
    coordinates.rank = rank;
    coordinates.host_index = rank / processes_per_host;
    coordinates.local_rank = rank % processes_per_host;
    coordinates.pp_size = layout.pp_size;
    coordinates.dp_size = layout.dp_size;
    // Mixed radix, right-most axis fastest: peel digits off from the right.
    int rest = rank;
    for (auto axis = placement.axes.rbegin(); axis != placement.axes.rend(); ++axis) {
      const int size = layout.axis_size(*axis);
      (*axis == 'P' ? coordinates.pp_rank : coordinates.dp_rank) = rest % size;
      rest /= size;
    }
    layout.ranks.push_back(coordinates);
  }
  return layout;
}

int ParallelLayout::rank_of(int pp_rank, int dp_rank) const {
  check_index("pp_rank", pp_rank, pp_size);
  check_index("dp_rank", dp_rank, dp_size);
  // The inverse of make_layout's digit peeling: left-most axis is the most significant.
  int rank = 0;
  for (char axis : placement.axes) rank = rank * axis_size(axis) + (axis == 'P' ? pp_rank : dp_rank);
  return rank;
}

int ParallelLayout::axis_size(char axis) const { return axis == 'P' ? pp_size : dp_size; }

std::vector<int> ParallelLayout::pipeline_group(int dp_rank) const {
  std::vector<int> group;
  for (int pp_rank = 0; pp_rank < pp_size; ++pp_rank) group.push_back(rank_of(pp_rank, dp_rank));
  return group;
}

std::vector<int> ParallelLayout::dp_group(int pp_rank) const {
  std::vector<int> group;
  for (int dp_rank = 0; dp_rank < dp_size; ++dp_rank) group.push_back(rank_of(pp_rank, dp_rank));
  return group;
}

std::string host_name(int host_index) { return "algo-" + std::to_string(host_index + 1); }

}  // namespace tandem::parallel
