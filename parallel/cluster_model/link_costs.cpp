// Ring allreduce and point-to-point times over NVLink and EFA (link_costs.h).
#include "parallel/cluster_model/link_costs.h"

#include <algorithm>

namespace tandem::cluster {

double allreduce_seconds(const ClusterType& c, const RingGroup& g, double bytes) {
  if (g.ranks <= 1 || bytes <= 0) return 0;
  const double steps = 2.0 * (g.ranks - 1);
  const double per_rank = steps / g.ranks * bytes;
  if (g.hosts <= 1) {
    const Link& link = c.intra_host_collective.beta_bytes_per_s > 0 ? c.intra_host_collective : c.nvlink;
    return steps * link.alpha_s + per_rank / link.beta_bytes_per_s;
  }
  const double network_share = c.network.beta_bytes_per_s / std::max(1, g.sharing_rings);
  return steps * c.network.alpha_s + per_rank / std::min(c.nvlink.beta_bytes_per_s, network_share);
}

TrafficSplit allreduce_traffic(const RingGroup& g, double bytes) {
  if (g.ranks <= 1) return {};
  // n ring edges, each carrying 2(n-1)/n * S; H of them cross hosts when H > 1.
  const double per_edge = 2.0 * (g.ranks - 1) / g.ranks * bytes;
  const int crossing = g.hosts > 1 ? g.hosts : 0;
  return {per_edge * (g.ranks - crossing), per_edge * crossing};
}

double p2p_seconds(const ClusterType& c, bool crosses_hosts, int sharing_flows, double bytes) {
  if (!crosses_hosts) return c.nvlink.alpha_s + bytes / c.nvlink.beta_bytes_per_s;
  return c.network.alpha_s + bytes / (c.network.beta_bytes_per_s / std::max(1, sharing_flows));
}

}  // namespace tandem::cluster
