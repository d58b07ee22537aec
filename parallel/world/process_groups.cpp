#include "parallel/world/process_groups.h"

#include "engine/error.h"

#include <algorithm>
#include <string>

namespace tandem::parallel {

std::unique_ptr<comm::Communicator> join_group(comm::Communicator& world, const GroupRanks& groups) {
  const int me = world.rank();
  int colour = -1, key = -1;
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto at = std::find(groups[g].begin(), groups[g].end(), me);
    if (at == groups[g].end()) continue;
    if (colour >= 0)
      throw RuntimeFailure("process groups: rank " + std::to_string(me) + " is listed in groups " +
                           std::to_string(colour) + " and " + std::to_string(g) + " of one kind");
    colour = static_cast<int>(g);
    key = static_cast<int>(at - groups[g].begin());
  }
  if (colour < 0)
    throw RuntimeFailure("process groups: rank " + std::to_string(me) + " of " + std::to_string(world.size()) +
                         " is in none of the " + std::to_string(groups.size()) + " groups of one kind");
  return world.split(colour, key);
}

ProcessGroups make_process_groups(comm::Communicator& world, const ParallelLayout& layout) {
  if (world.size() != layout.world_size)
    throw RuntimeFailure("process groups: a layout of " + std::to_string(layout.world_size) +
                         " ranks over a group of " + std::to_string(world.size()));
  ProcessGroups groups;
  groups.me = layout.ranks[world.rank()];
  groups.pipeline = join_group(world, pipeline_group_ranks(layout));
  groups.data = join_group(world, data_parallel_group_ranks(layout));
  groups.tied_embedding = join_group(world, tied_embedding_group_ranks(layout));
  return groups;
}

}  // namespace tandem::parallel
