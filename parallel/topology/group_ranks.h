#pragma once
// The members of every process group a layout needs, as lists of world ranks,
// in the manner of Megatron's rank generator: each kind of group is an
// explicit partition of the world, listed in the order ranks take inside the
// group. parallel/world/process_groups.h turns them into communicators.
//
//   pipeline        one per replica: its stages, by pp_rank
//   data_parallel   one per stage: the ranks holding it in every replica, by dp_rank
//   tied_embedding  one per replica: its first and last stage (they hold the
//                   two copies of the tied embedding); every other rank alone

#include "parallel/topology/layout.h"

#include <vector>

namespace tandem::parallel {

using GroupRanks = std::vector<std::vector<int>>;  // every group of one kind; each rank in exactly one

GroupRanks pipeline_group_ranks(const ParallelLayout& layout);
GroupRanks data_parallel_group_ranks(const ParallelLayout& layout);
GroupRanks tied_embedding_group_ranks(const ParallelLayout& layout);

}  // namespace tandem::parallel
