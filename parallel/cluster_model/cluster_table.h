#pragma once
// The SageMaker GPU instance types the cluster model predicts for: GPUs per
// host, each GPU's dense half-precision peak, memory and the efficiency that
// calibrates it, and the two links (NVLink inside a host, EFA between hosts)
// as alpha-beta costs. Every figure and its source: docs/clusters.md.

#include <string>
#include <vector>

namespace tandem::cluster {

// Time to move `bytes` over a link: alpha + bytes / beta.
struct Link {
  std::string name;
  double alpha_s = 0;             // per message (or per ring step) latency, seconds
  double beta_bytes_per_s = 0;    // sustained bandwidth one direction, bytes/s
};

struct GpuType {
  std::string name;
  double peak_flops = 0;          // dense fp16/bf16 tensor-core peak, flop/s
  double memory_bytes = 0;        // HBM
  std::string precision;          // "bf16", or "fp16" where the GPU has no bf16
};

struct ClusterType {
  std::string instance_type;      // "ml.p3dn.24xlarge"
  int gpus_per_host = 0;
  GpuType gpu;
  Link nvlink;                    // one GPU to another GPU of the same host
  Link network;                   // everything one host sends to the others, all its EFA interfaces together
  // Where a ring allreduce inside a host moves differently from point-to-point
  // messages (a CPU machine: the reduction itself takes the cores, while a
  // pipeline's message waits for its sender's core): the collective's own
  // measured link. A beta of 0 means the NVLink figures.
  Link intra_host_collective{};
  // A pipeline message inside a host whose sender computes on at once, where
  // that takes longer than nvlink.alpha_s (a CPU machine, pipeline/schedule/
  // simulate.h's p2p_sender_busy): its alpha. Below 0: nvlink.alpha_s.
  double intra_host_busy_sender_alpha_s = -1;
  // Whether gradient reductions run beside backward. GPUs have NCCL's own
  // kernels for it; CPU ranks holding every core do not, and the reduction
  // waits for a core.
  bool overlaps_communication = true;
};

// The calibration point (docs/gpu-machine measurements, docs/clusters.md):
// GPT-2 124M, bf16, batch 16 x 1024 tokens on one H200.
enum class Calibration { Eager, Compile };
double calibrated_tokens_per_second(Calibration calibration);  // 352,173 or 490,914
double calibration_peak_flops();                               // H200 dense bf16 peak
Calibration parse_calibration(const std::string& name);        // "eager" | "compile"; UsageError names --calibration

// The instance types known, in table order.
std::vector<std::string> cluster_names();
// Throws UsageError "--cluster: unknown instance type ..." listing the known ones.
const ClusterType& find_cluster(const std::string& instance_type);

}  // namespace tandem::cluster
