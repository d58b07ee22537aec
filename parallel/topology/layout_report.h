#pragma once
// The rank table of a ParallelLayout for people (`tandem plan`) and for tools
// (JSON: a list of {"rank", "host", "local_rank", "pp_rank", "dp_rank"}).

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "parallel/topology/layout.h"

namespace tandem::parallel {

// Lets `nlohmann::json j = layout;` produce the rank table.
void to_json(nlohmann::json& json, const ParallelLayout& layout);

// One row per rank, then the pipeline groups and the dp groups, e.g.
//   rank  host      local_rank  pp_rank  dp_rank
//      0  algo-1             0        0        0
//   ...
//   pipeline groups (one model replica each, by pp_rank): [0,4] [1,5] [2,6] [3,7]
//   dp groups (one stage each, by dp_rank): [0,1,2,3] [4,5,6,7]
std::string render_rank_table(const ParallelLayout& layout);

}  // namespace tandem::parallel
