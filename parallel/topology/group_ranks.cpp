#include "parallel/topology/group_ranks.h"

namespace tandem::parallel {

GroupRanks pipeline_group_ranks(const ParallelLayout& layout) {
  GroupRanks groups;
  for (int dp_rank = 0; dp_rank < layout.dp_size; ++dp_rank) groups.push_back(layout.pipeline_group(dp_rank));
  return groups;
}

GroupRanks data_parallel_group_ranks(const ParallelLayout& layout) {
  GroupRanks groups;
  for (int pp_rank = 0; pp_rank < layout.pp_size; ++pp_rank) groups.push_back(layout.dp_group(pp_rank));
  return groups;
}

GroupRanks tied_embedding_group_ranks(const ParallelLayout& layout) {
  GroupRanks groups;
  for (int dp_rank = 0; dp_rank < layout.dp_size; ++dp_rank) {
    const std::vector<int> pipeline = layout.pipeline_group(dp_rank);
    if (pipeline.size() == 1) {
      groups.push_back(pipeline);
      continue;
    }
    groups.push_back({pipeline.front(), pipeline.back()});
    for (size_t stage = 1; stage + 1 < pipeline.size(); ++stage) groups.push_back({pipeline[stage]});
  }
  return groups;
}

}  // namespace tandem::parallel
