#pragma once
// Alpha-beta costs of the transfers a step makes, and where their bytes go.
//
// Ring allreduce of S bytes over n ranks: 2(n-1) steps, each rank sends
// 2(n-1)/n * S (nccl-tests' busbw definition), so
//   t = 2(n-1) alpha + 2(n-1)/n * S / beta.
// A ring spanning H hosts crosses a host boundary H times: every host sends one
// ring edge's 2(n-1)/n * S over its network, shared with the other rings that
// cross it at the same time. Inside one host it runs at NVLink speed.

#include "parallel/cluster_model/cluster_table.h"

namespace tandem::cluster {

struct RingGroup {
  int ranks = 1;
  int hosts = 1;             // distinct hosts among the ranks
  int sharing_rings = 1;     // rings crossing the same host's network at once (>= 1)
};

// Seconds for a ring allreduce of `bytes` over `group` on `cluster`.
double allreduce_seconds(const ClusterType& cluster, const RingGroup& group, double bytes);

// Bytes every rank of the group sends together, and the part that crosses hosts.
struct TrafficSplit {
  double intra_host = 0, inter_host = 0;
};
TrafficSplit allreduce_traffic(const RingGroup& group, double bytes);

// One point-to-point message; across hosts it shares the network with
// `sharing_flows` messages leaving the same host at once.
double p2p_seconds(const ClusterType& cluster, bool crosses_hosts, int sharing_flows, double bytes);

}  // namespace tandem::cluster
