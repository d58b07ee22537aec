#pragma once
// This rank's named process groups, made from the layout (in the manner of
// Megatron's process-group collection): every kind of group is a list of
// member lists (parallel/topology/group_ranks.h), and each rank joins the one
// that holds it. No colour arithmetic: the members are written out.

#include "common/rank_coordinates.h"
#include "parallel/comm/communicator.h"
#include "parallel/topology/group_ranks.h"
#include "parallel/topology/layout.h"

#include <memory>

namespace tandem::parallel {

struct ProcessGroups {
  RankCoordinates me;
  std::unique_ptr<comm::Communicator> pipeline;        // this replica's stages, by pp_rank
  std::unique_ptr<comm::Communicator> data;            // this stage in every replica, by dp_rank
  std::unique_ptr<comm::Communicator> tied_embedding;  // first and last stage of this replica; else this rank alone
};

// Collective over `world`, whose ranks are the layout's world ranks (the world
// group, or a device communicator over it). Groups are made in one order on
// every rank: pipeline, data, tied_embedding.
ProcessGroups make_process_groups(comm::Communicator& world, const ParallelLayout& layout);

// Collective over `world`: the group of `groups` that holds this rank, its
// members ordered as listed. RuntimeFailure when no group or more than one holds it.
std::unique_ptr<comm::Communicator> join_group(comm::Communicator& world, const GroupRanks& groups);

}  // namespace tandem::parallel
