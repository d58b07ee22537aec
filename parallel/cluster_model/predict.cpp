// One step of one strategy on one cluster (predict.h).
#include "parallel/cluster_model/predict.h"

#include "engine/error.h"
#include "parallel/cluster_model/link_costs.h"
#include "parallel/pipeline/partition/partitioner.h"
#include "parallel/pipeline/schedule/bubble.h"
#include "parallel/pipeline/schedule/simulate.h"
#include "parallel/topology/layout.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace tandem::cluster {
namespace {

// Eager PyTorch spends about this long on the host per operator; a layer whose
// matmuls finish sooner waits for its launches (docs/clusters.md, an assumption
// not yet measured on these GPUs).
constexpr double kSecondsPerOp = 10e-6;
// fp32 master weights, fp32 gradients (the buckets), AdamW's two fp32 moments,
// and autocast's half-precision copy of the weights.
constexpr double kBytesPerParameter = 4 + 4 + 8 + 2;
constexpr double kHalfBytes = 2;       // activations and their gradients between stages
constexpr double kGradientBytes = 4;   // fp32 gradients in the allreduce
constexpr double kUsableMemoryShare = 0.9;  // CUDA context, allocator fragmentation
constexpr int kLossChunkRows = 512;    // TransformerModel::loss's chunk (docs/architecture.md)

// The GPT-2 124M shape of the calibration run.
ModelShape calibration_shape() { return {"gpt2-124m", 12, 12, 768, 3072, 50304, 1024, true}; }
constexpr int kCalibrationSequence = 1024;

struct StageSums {
  double parameters = 0, matmul = 0, attention = 0, activation = 0;
  int ops = 0;
  MeasuredLayer measured;  // Σ of the layers' measured times (measured profiles only)
};

void add_layer(StageSums& s, const LayerCostProfile& l, const MeasuredLayer* m) {
  s.parameters += l.parameters;
  s.matmul += l.matmul_flops_per_token;
  s.attention += l.attention_flops_per_token;
  s.activation += l.activation_bytes_per_token;
  s.ops += l.forward_ops;
  if (m) {
    s.measured.forward_s += m->forward_s;
    s.measured.backward_s += m->backward_s;
    s.measured.backward_input_s += m->backward_input_s;
    s.measured.backward_weight_s += m->backward_weight_s;
  }
}

double train_flops_per_token(const std::vector<LayerCostProfile>& layers) {
  double f = 0;
  for (const auto& l : layers) f += 3 * (l.matmul_flops_per_token + l.attention_flops_per_token);
  return f;
}

struct ActionTimes {
  double forward = 0, backward = 0, input = 0, weight = 0;
};

// Every rank of a job pinned to a CPU's cores computing at once (measured_profile.h):
// the fullest core's ranks take turns, at the slowdown of the cores in use.
double all_ranks_at_once(const MeasuredProfile* measured, int world) {
  if (!measured || measured->cores <= 0) return 1.0;
  const int cores = measured->cores;
  return ((world + cores - 1) / cores) *
         pipeline::slowdown_at_busy_cores(measured->slowdown_with_busy_cores, std::min(world, cores));
}

ActionTimes action_times(const StageSums& s, double tokens, double flops_per_s, const MeasuredProfile* measured,
                         double sharing = 1) {
  if (measured) {
    const double k = measured->compute_scale * sharing;
    return {k * s.measured.forward_s, k * s.measured.backward_s, k * s.measured.backward_input_s,
            k * s.measured.backward_weight_s};
  }
  const double floor = s.ops * kSecondsPerOp;
  return {std::max(tokens * (s.matmul + s.attention) / flops_per_s, floor),
          std::max(tokens * (2 * s.matmul + 2 * s.attention) / flops_per_s, 2 * floor),
          std::max(tokens * (s.matmul + 2 * s.attention) / flops_per_s, floor),
          std::max(tokens * s.matmul / flops_per_s, floor)};
}

int distinct_hosts(const parallel::ParallelLayout& layout, const std::vector<int>& ranks) {
  std::set<int> hosts;
  for (int r : ranks) hosts.insert(layout.ranks[r].host_index);
  return static_cast<int>(hosts.size());
}

// Rings crossing hosts at once, each counted on every host it touches; the
// busiest host's count is what each of them shares its network with.
std::vector<RingGroup> ring_groups(const parallel::ParallelLayout& layout, const std::vector<std::vector<int>>& groups) {
  std::map<int, int> per_host;
  std::vector<RingGroup> out;
  for (const auto& g : groups) {
    const int hosts = distinct_hosts(layout, g);
    out.push_back({static_cast<int>(g.size()), hosts, 1});
    if (hosts < 2) continue;
    std::set<int> touched;
    for (int r : g) touched.insert(layout.ranks[r].host_index);
    for (int h : touched) ++per_host[h];
  }
  int sharing = 1;
  for (const auto& [host, n] : per_host) sharing = std::max(sharing, n);
  for (auto& g : out) g.sharing_rings = g.hosts > 1 ? sharing : 1;
  return out;
}

void add(Prediction& p, const TrafficSplit& t) {
  p.intra_host_bytes += t.intra_host;
  p.inter_host_bytes += t.inter_host;
}

void require(bool ok, const std::string& message) {
  if (!ok) throw UsageError(message);
}

}  // namespace

std::string Strategy::label() const {
  if (kind == "data_parallel") return kind;
  std::string s = kind + " p=" + std::to_string(partitions);
  if (virtual_stages > 1) s += " v=" + std::to_string(virtual_stages);
  return s + " m=" + std::to_string(microbatches) + " " + placement;
}

double calibrated_efficiency(Calibration calibration) {
  const auto layers = gpt_layer_costs(calibration_shape(), kCalibrationSequence);
  return train_flops_per_token(layers) * calibrated_tokens_per_second(calibration) / calibration_peak_flops();
}

void check_job(const Job& job) {
  check_shape(job.shape);
  require(job.instance_count >= 1,
          "--instance_count: " + std::to_string(job.instance_count) + " (expected at least 1 host)");
  require(job.processes_per_host >= 1,
          "--processes_per_host: " + std::to_string(job.processes_per_host) + " (expected at least 1)");
  require(job.sequence_length >= 1 && job.sequence_length <= job.shape.max_position,
          "--block_size: " + std::to_string(job.sequence_length) + " (expected 1 to n_positions " +
              std::to_string(job.shape.max_position) + " of model " + job.shape.name + ")");
  require(job.global_batch >= 1, "global batch: " + std::to_string(job.global_batch) + " (expected at least 1)");
  require(std::isfinite(job.memory_weight) && job.memory_weight >= 0 && job.memory_weight <= 1,
          "memory_weight: " + std::to_string(job.memory_weight) + " (expected a number from 0 to 1)");
}

Prediction predict(const Job& job, const Strategy& st, const ClusterType& cluster) {
  check_job(job);
  require(job.processes_per_host <= cluster.gpus_per_host,
          "--processes_per_host: " + std::to_string(job.processes_per_host) + " exceeds the " +
              std::to_string(cluster.gpus_per_host) + " GPUs of " + cluster.instance_type);
  Prediction out;
  out.strategy = st;
  out.world_size = job.instance_count * job.processes_per_host;
  const bool pure_dp = st.kind == "data_parallel";
  require(!pure_dp || st.partitions == 1, "data_parallel: partitions must be 1");
  require(st.partitions >= 1 && out.world_size % st.partitions == 0,
          "partitions " + std::to_string(st.partitions) + " does not divide the " + std::to_string(out.world_size) +
              " processes (instance_count " + std::to_string(job.instance_count) + " x processes_per_host " +
              std::to_string(job.processes_per_host) + ")");
  out.dp_size = out.world_size / st.partitions;
  require(job.global_batch % out.dp_size == 0, "global batch " + std::to_string(job.global_batch) +
                                                   " is not divisible by the " + std::to_string(out.dp_size) +
                                                   " data-parallel replicas");
  const int replica_batch = job.global_batch / out.dp_size;
  require(st.microbatches >= 1 && replica_batch % st.microbatches == 0,
          "replica batch " + std::to_string(replica_batch) + " is not divisible by microbatches " +
              std::to_string(st.microbatches));
  const auto layout = parallel::make_layout(out.world_size, st.partitions, parallel::parse_placement(st.placement),
                                            job.processes_per_host);

  out.efficiency = calibrated_efficiency(job.calibration);
  const double flops_per_s = cluster.gpu.peak_flops * out.efficiency;
  out.memory_limit_bytes = kUsableMemoryShare * cluster.gpu.memory_bytes;
  const auto layers = gpt_layer_costs(job.shape, job.sequence_length);
  const double vocab_rows = static_cast<double>(job.shape.vocab) * job.shape.d_model;
  const double head_transient = 2.0 * kLossChunkRows * job.shape.vocab * 4;  // fp32 logits chunk and its gradient
  const double tokens_per_microbatch = static_cast<double>(replica_batch) / st.microbatches * job.sequence_length;

  std::vector<MeasuredLayer> measured;
  if (job.measured)
    measured = measured_layers_at(*job.measured, tokens_per_microbatch, static_cast<int>(layers.size()));
  const auto measured_layer = [&](size_t i) { return measured.empty() ? nullptr : &measured[i]; };
  const auto optimizer_seconds = [&](double parameters) {
    if (!job.measured) return 0.0;
    const double scale = job.measured->optimizer_scale >= 0
                             ? job.measured->optimizer_scale
                             : job.measured->compute_scale * all_ranks_at_once(job.measured, out.world_size);
    return scale * job.measured->optimizer_s_per_parameter * parameters;
  };

  const double step_sync = job.measured ? job.measured->step_sync_s : 0.0;
  if (pure_dp) {
    StageSums all;
    for (size_t i = 0; i < layers.size(); ++i) add_layer(all, layers[i], measured_layer(i));
    const ActionTimes t =
        action_times(all, tokens_per_microbatch, flops_per_s, job.measured, all_ranks_at_once(job.measured, out.world_size));
    out.forward_s = t.forward;
    out.backward_s = t.backward;
    out.compute_s = out.pipeline_s = t.forward + t.backward;
    // Buckets reduce during backward where the cluster overlaps communication
    // with compute; the embedding's is ready last and goes alone.
    std::vector<int> everyone(out.world_size);
    for (int r = 0; r < out.world_size; ++r) everyone[r] = r;
    const RingGroup world = ring_groups(layout, {everyone}).front();
    const double embedding_bytes = kGradientBytes * layers.front().parameters;
    const double rest_bytes = kGradientBytes * all.parameters - embedding_bytes;
    const double rest_s = allreduce_seconds(cluster, world, rest_bytes);
    out.allreduce_s = allreduce_seconds(cluster, world, embedding_bytes) +
                      (cluster.overlaps_communication ? std::max(0.0, rest_s - t.backward) : rest_s);
    add(out, allreduce_traffic(world, kGradientBytes * all.parameters));
    out.optimizer_s = optimizer_seconds(all.parameters);
    out.step_s = out.pipeline_s + out.allreduce_s + out.optimizer_s + step_sync;
    out.parameters_fullest = all.parameters;
    out.peak_stashed = 1;
    out.memory_bytes = kBytesPerParameter * all.parameters + all.activation * tokens_per_microbatch + head_transient;
  } else {
    const pipeline::ScheduleSpec spec{st.kind, st.partitions, st.microbatches, st.virtual_stages};
    const pipeline::Schedule schedule = pipeline::build_schedule(spec);
    out.bubble_theory = pipeline::theoretical_bubble(spec);
    const int p = st.partitions, stages = p * st.virtual_stages;
    std::vector<pipeline::LayerWeight> weights;
    if (job.measured) {
      weights = measured_partition(*job.measured, tokens_per_microbatch);
    } else {
      for (const auto& l : layers)
        weights.push_back({l.name, 3 * (l.matmul_flops_per_token + l.attention_flops_per_token),
                           kBytesPerParameter * l.parameters + l.activation_bytes_per_token * tokens_per_microbatch,
                           static_cast<long long>(l.parameters)});
    }
    require(weights.size() == layers.size(), "measured profile: " + std::to_string(weights.size()) +
                                                 " partition weights where the model has " +
                                                 std::to_string(layers.size()) + " layers");
    const auto spans = pipeline::partition_layers(weights, stages, job.memory_weight);
    std::vector<StageSums> sums(stages);
    for (int s = 0; s < stages; ++s)
      for (int i = spans[s].begin; i < spans[s].end; ++i) add_layer(sums[s], layers[i], measured_layer(i));
    const pipeline::StagePlacement& placement = schedule.placement;
    // The last stage keeps its own copy of a tied embedding (docs/architecture.md),
    // unless the placement puts it on the embedding's rank (the V).
    const bool tied_apart = job.shape.tied && !placement.same_rank(0, stages - 1);
    if (tied_apart) sums.back().parameters += vocab_rows;

    // Every stage at its own cost; the slowest chunk's are the ones reported.
    pipeline::Costs costs{0, 0, 0, 0, 0};
    for (const auto& s : sums) {
      const ActionTimes t = action_times(s, tokens_per_microbatch, flops_per_s, job.measured);
      costs.stages.push_back({t.forward, t.backward, t.input, t.weight});
      costs.forward = std::max(costs.forward, t.forward);
      costs.backward = std::max(costs.backward, t.backward);
      costs.backward_input = std::max(costs.backward_input, t.input);
      costs.backward_weight = std::max(costs.backward_weight, t.weight);
    }
    // Activations (and their gradients) between consecutive stages of every replica.
    const double value_bytes = job.measured ? job.measured->boundary_value_bytes : kHalfBytes;
    const double message_bytes = tokens_per_microbatch * job.shape.d_model * value_bytes;
    for (int s = 0; s + 1 < stages; ++s) {
      if (placement.same_rank(s, s + 1)) continue;  // handed over within the rank
      std::map<int, int> crossing_per_host;
      for (int d = 0; d < out.dp_size; ++d) {
        const int from = layout.rank_of(placement.rank_of(s), d), to = layout.rank_of(placement.rank_of(s + 1), d);
        const bool crosses = layout.ranks[from].host_index != layout.ranks[to].host_index;
        if (crosses) ++crossing_per_host[layout.ranks[from].host_index];
        (crosses ? out.inter_host_bytes : out.intra_host_bytes) += 2.0 * st.microbatches * message_bytes;
      }
      int sharing = 0;
      for (const auto& [host, n] : crossing_per_host) sharing = std::max(sharing, n);
      costs.p2p = std::max(costs.p2p, p2p_seconds(cluster, sharing > 0, sharing, message_bytes));
      if (sharing == 0 && cluster.intra_host_busy_sender_alpha_s >= 0)
        costs.p2p_sender_busy = std::max(costs.p2p_sender_busy, cluster.intra_host_busy_sender_alpha_s +
                                                                    message_bytes / cluster.nvlink.beta_bytes_per_s);
    }
    // Ranks pinned to a CPU's cores: where each copy of each pipeline rank computes.
    if (job.measured && job.measured->cores > 0) {
      const int cores = job.measured->cores;
      costs.sharing.ranks_on_core.assign(cores, {});
      costs.sharing.slowdown_with_busy_cores = job.measured->slowdown_with_busy_cores;
      for (int r = 0; r < p; ++r) {
        costs.sharing.core_of_rank.push_back(layout.rank_of(r, 0) % cores);
        for (int d = 0; d < out.dp_size; ++d) costs.sharing.ranks_on_core[layout.rank_of(r, d) % cores].push_back(r);
      }
    }
    out.forward_s = costs.forward;
    out.backward_s = costs.backward;
    out.backward_input_s = costs.backward_input;
    out.backward_weight_s = costs.backward_weight;
    out.p2p_s = costs.p2p;

    const pipeline::SimulationResult sim = pipeline::simulate(schedule, costs);
    if (sim.deadlocked()) throw RuntimeFailure(st.label() + ": the simulator found a deadlock: " + sim.deadlock);
    out.pipeline_s = sim.makespan;
    out.bubble = sim.bubble_fraction;
    out.compute_s = *std::max_element(sim.busy.begin(), sim.busy.end());
    std::vector<double> last_compute(p, 0.0);
    for (const auto& a : sim.timeline)
      if (pipeline::is_compute(a.action.kind)) last_compute[a.rank] = std::max(last_compute[a.rank], a.end_us);

    // Each stage's gradients over its data-parallel group, once the stage is done.
    std::vector<std::vector<int>> dp_groups;
    for (int r = 0; r < p; ++r) dp_groups.push_back(layout.dp_group(r));
    const auto rings = ring_groups(layout, dp_groups);
    double finish = 0, slowest_reduce = 0;
    std::vector<double> rank_parameters(p, 0.0);
    for (int s = 0; s < stages; ++s) rank_parameters[placement.rank_of(s)] += sums[s].parameters;
    for (int r = 0; r < p; ++r) {
      const double bytes = kGradientBytes * rank_parameters[r];
      const double t = allreduce_seconds(cluster, rings[r], bytes);
      add(out, allreduce_traffic(rings[r], bytes));
      finish = std::max(finish, last_compute[r] + t);
      slowest_reduce = std::max(slowest_reduce, t);
    }
    // The embedding's and the head's copy of a tied embedding are summed each step.
    double tied_s = 0;
    if (tied_apart) {
      std::vector<std::vector<int>> pairs;
      for (int d = 0; d < out.dp_size; ++d) pairs.push_back({layout.rank_of(0, d), layout.rank_of(placement.rank_of(stages - 1), d)});
      const auto tied_rings = ring_groups(layout, pairs);
      for (const auto& g : tied_rings) {
        tied_s = std::max(tied_s, allreduce_seconds(cluster, g, kGradientBytes * vocab_rows));
        add(out, allreduce_traffic(g, kGradientBytes * vocab_rows));
      }
    }
    // Clipping needs the job's gradient norm, so the optimizer starts on every rank together.
    for (int r = 0; r < p; ++r) out.optimizer_s = std::max(out.optimizer_s, optimizer_seconds(rank_parameters[r]));
    out.step_s = finish + tied_s + out.optimizer_s + step_sync;
    out.allreduce_s = finish + tied_s - out.pipeline_s;

    // The fullest rank: model state of its chunks, the activations it stashes at
    // its peak, and the loss's logits chunk on the rank of the last stage.
    for (int r = 0; r < p; ++r) {
      double chunk_activation = 0;
      for (int c = 0; c < placement.chunks(); ++c)
        chunk_activation = std::max(chunk_activation, sums[placement.stage(r, c)].activation);
      double bytes = kBytesPerParameter * rank_parameters[r] +
                     sim.peak_stashed[r] * chunk_activation * tokens_per_microbatch;
      if (placement.rank_of(stages - 1) == r) bytes += head_transient;
      if (bytes > out.memory_bytes) {
        out.memory_bytes = bytes;
        out.parameters_fullest = rank_parameters[r];
        out.peak_stashed = sim.peak_stashed[r];
      }
    }
  }
  out.tokens_per_second = static_cast<double>(job.global_batch) * job.sequence_length / out.step_s;
  out.fits = out.memory_bytes <= out.memory_limit_bytes;
  return out;
}

}  // namespace tandem::cluster
