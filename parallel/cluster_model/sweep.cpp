// Enumerate, predict and pick (sweep.h).
#include "parallel/cluster_model/sweep.h"

#include "engine/error.h"

#include <algorithm>
#include <cmath>

namespace tandem::cluster {

std::vector<Strategy> sweep_strategies(const Job& job) {
  check_job(job);
  const int world = job.instance_count * job.processes_per_host;
  const int layer_count = job.shape.layers + 3;  // embedding, blocks, norm, head
  std::vector<Strategy> out;
  for (int p = 1; p <= world; ++p) {
    if (world % p != 0 || p > layer_count) continue;
    const int dp = world / p;
    if (job.global_batch % dp != 0) continue;
    const int replica = job.global_batch / dp;
    if (p == 1) {
      out.push_back({"data_parallel", 1, 1, 1, "cluster"});
      continue;
    }
    const std::vector<std::string> placements = dp > 1 ? std::vector<std::string>{"cluster", "spread"}
                                                       : std::vector<std::string>{"cluster"};
    for (int m = 1; m <= replica; m *= 2) {
      if (replica % m != 0) continue;
      for (const auto& placement : placements) {
        for (const char* kind : {"simple", "interleaved", "zb_h1"}) out.push_back({kind, p, m, 1, placement});
        for (int v : {2, 4})
          if (p * v <= layer_count) out.push_back({"interleaved_virtual", p, m, v, placement});
        // The V: two chunks per rank, the first and last stage on rank 0.
        if (2 * p <= layer_count) out.push_back({"zb_v", p, m, 2, placement});
      }
    }
  }
  return out;
}

bool better(const Prediction& a, const Prediction& b) {
  if (a.fits != b.fits) return a.fits;
  // Steps within a part in a million are the same step: the cheaper network decides.
  const double scale = std::max(a.step_s, b.step_s);
  if (std::abs(a.step_s - b.step_s) > 1e-6 * scale) return a.step_s < b.step_s;
  if (a.inter_host_bytes != b.inter_host_bytes) return a.inter_host_bytes < b.inter_host_bytes;
  return a.memory_bytes < b.memory_bytes;
}

Sweep sweep(const Job& job, const ClusterType& cluster) {
  Sweep out;
  for (const Strategy& s : sweep_strategies(job)) {
    try {
      out.predictions.push_back(predict(job, s, cluster));
    } catch (const UsageError&) {
      // A combination the schedules refuse (e.g. zb_h1 needs m >= 1 per stage): not a candidate.
    }
  }
  for (int i = 0; i < static_cast<int>(out.predictions.size()); ++i) {
    if (!out.predictions[i].fits) continue;
    if (out.recommended < 0 || better(out.predictions[i], out.predictions[out.recommended])) out.recommended = i;
  }
  return out;
}

}  // namespace tandem::cluster
