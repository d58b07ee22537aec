#include "parallel/topology/layout_report.h"

#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tandem::parallel {

namespace {

std::string bracketed(const std::vector<int>& ranks) {
  std::string text = "[";
  for (size_t i = 0; i < ranks.size(); ++i) text += (i ? "," : "") + std::to_string(ranks[i]);
  return text + "]";
}

}  // namespace

void to_json(nlohmann::json& json, const ParallelLayout& layout) {
  json = nlohmann::json::array();
  for (const RankCoordinates& r : layout.ranks) {
    json.push_back({{"rank", r.rank},
                    {"host", host_name(r.host_index)},
                    {"local_rank", r.local_rank},
                    {"pp_rank", r.pp_rank},
                    {"dp_rank", r.dp_rank}});
  }
}

std::string render_rank_table(const ParallelLayout& layout) {
  std::ostringstream out;
  out << "rank  host      local_rank  pp_rank  dp_rank\n";
  for (const RankCoordinates& r : layout.ranks) {
    out << std::setw(4) << r.rank << "  " << std::left << std::setw(8) << host_name(r.host_index) << std::right
        << std::setw(12) << r.local_rank << std::setw(9) << r.pp_rank << std::setw(9) << r.dp_rank << "\n";
  }
  out << "pipeline groups (one model replica each, by pp_rank):";
  for (int dp_rank = 0; dp_rank < layout.dp_size; ++dp_rank) out << " " << bracketed(layout.pipeline_group(dp_rank));
  out << "\ndp groups (one stage each, by dp_rank):";
  for (int pp_rank = 0; pp_rank < layout.pp_size; ++pp_rank) out << " " << bracketed(layout.dp_group(pp_rank));
  out << "\n";
  return out.str();
}

}  // namespace tandem::parallel
