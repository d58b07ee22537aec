#pragma once
// ParallelLayout: where every world rank sits — its host, its slot on the host,
// its pipeline stage (pp_rank) and its model replica (dp_rank) — built from
// (world size, partitions, placement, processes per host) alone, so it can be
// checked against the documented SMP tables without MPI.
//
// Naming follows SMP: a pipeline group is one model replica (ranks ordered by
// pp_rank); a dp group holds the same stage in every replica (ordered by dp_rank)
// and is where gradients are all-reduced.

#include <string>
#include <vector>

#include "common/rank_coordinates.h"
#include "parallel/topology/placement.h"

namespace tandem::parallel {

struct ParallelLayout {
  int world_size = 0;
  int pp_size = 0;
  int dp_size = 0;
  int processes_per_host = 0;
  Placement placement;
  std::vector<RankCoordinates> ranks;  // indexed by world rank; pp_size and dp_size as above

  int host_count() const { return world_size / processes_per_host; }
  // The world rank holding stage pp_rank of replica dp_rank.
  int rank_of(int pp_rank, int dp_rank) const;
  // World ranks of replica dp_rank, ordered by pp_rank.
  std::vector<int> pipeline_group(int dp_rank) const;
  // World ranks holding stage pp_rank, ordered by dp_rank.
  std::vector<int> dp_group(int pp_rank) const;
  // Size of a placement axis: 'P' -> pp_size, 'D' -> dp_size.
  int axis_size(char axis) const;
};

// Throws UsageError unless world_size >= 1, partitions >= 1, partitions divides
// world_size, and processes_per_host >= 1 divides world_size.
ParallelLayout make_layout(int world_size, int pp_size, const Placement& placement, int processes_per_host);

// SageMaker's host names: "algo-1", "algo-2", ...
std::string host_name(int host_index);

}  // namespace tandem::parallel
