// Text and JSON for predictions and sweeps (report.h).
#include "parallel/cluster_model/report.h"

#include "common/text/format_number.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace tandem::cluster {
namespace {

std::string ms(double s) { return format_number("%.3f ms", s * 1e3); }
std::string us(double s) { return format_number("%.1f µs", s * 1e6); }
std::string mb(double bytes) { return format_number("%.2f MB", bytes / 1e6); }
std::string gib(double bytes) { return format_number("%.2f GiB", bytes / (1024.0 * 1024.0 * 1024.0)); }
std::string pct(double f) { return format_number("%.1f%%", 100 * f); }

std::vector<int> ranked(const Sweep& sweep) {
  std::vector<int> order(sweep.predictions.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return better(sweep.predictions[a], sweep.predictions[b]); });
  return order;
}

std::string summary(const Prediction& p) {
  return p.strategy.label() + " (dp " + std::to_string(p.dp_size) + "): step " + ms(p.step_s) + ", bubble " +
         pct(p.bubble) + ", inter-host " + mb(p.inter_host_bytes) + "/step, " + gib(p.memory_bytes) + " per GPU";
}

}  // namespace

std::string render_cluster(const Job& job, const ClusterType& c) {
  const int world = job.instance_count * job.processes_per_host;
  return c.instance_type + " x " + std::to_string(job.instance_count) + ": " + std::to_string(world) + " x " +
         c.gpu.name + " (" + c.gpu.precision + ", " + format_number("%.0f", c.gpu.peak_flops / 1e12) + " TFLOP/s peak), " +
         c.nvlink.name + " " + format_number("%.0f", c.nvlink.beta_bytes_per_s / 1e9) + " GB/s, " + c.network.name + " " +
         format_number("%.1f", c.network.beta_bytes_per_s / 1e9) + " GB/s per host\n" + "model " + job.shape.name + ": " +
         std::to_string(job.shape.layers) + " layers, d " + std::to_string(job.shape.d_model) + ", " +
         std::to_string(job.global_batch) + " sequences x " + std::to_string(job.sequence_length) +
         " tokens per step; GPU efficiency " + pct(calibrated_efficiency(job.calibration)) + " of peak (" +
         (job.calibration == Calibration::Eager ? "eager" : "torch.compile") + " calibration: GPT-2 124M on H200, " +
         format_number("%.0f", calibrated_tokens_per_second(job.calibration)) + " tokens/s)\n";
}

std::string render_prediction(const Prediction& p) {
  auto count = [](int n, const char* one, const char* many) { return std::to_string(n) + " " + (n == 1 ? one : many); };
  std::string s = p.strategy.label() + " on " + std::to_string(p.world_size) + " GPUs (" +
                  count(p.strategy.partitions, "stage", "stages") + " x " +
                  count(p.dp_size, "data-parallel replica", "data-parallel replicas") + ")\n";
  s += "  step " + ms(p.step_s) + " = pipeline " + ms(p.pipeline_s) + " + gradient exchange after it " +
       ms(p.allreduce_s) + "; " + format_number("%.0f", p.tokens_per_second) + " tokens/s\n";
  s += "  per microbatch and chunk: forward " + us(p.forward_s) + ", backward " + us(p.backward_s);
  if (p.strategy.kind == "zb_h1") s += " (input " + us(p.backward_input_s) + ", weight " + us(p.backward_weight_s) + ")";
  if (p.strategy.kind != "data_parallel") s += ", activation transfer " + us(p.p2p_s);
  s += "\n  bubble " + pct(p.bubble) + " of the pipeline (unit-cost theory " + pct(p.bubble_theory) + ")\n";
  s += "  bytes sent per step: intra-host " + mb(p.intra_host_bytes) + ", inter-host " + mb(p.inter_host_bytes) + "\n";
  s += "  memory on the fullest GPU: " + gib(p.memory_bytes) + " (" + format_number("%.1f", p.parameters_fullest / 1e6) +
       " M parameters x 18 bytes, " + count(p.peak_stashed, "microbatch", "microbatches") + " of activations) of " +
       gib(p.memory_limit_bytes) + " usable: " + (p.fits ? "fits" : "does not fit") + "\n";
  return s;
}

std::string render_sweep(const Sweep& sweep, int rows) {
  std::string s;
  char line[256];
  std::snprintf(line, sizeof line, "%-40s %4s %10s %12s %8s %12s %10s %5s\n", "strategy", "dp", "step ms", "tokens/s",
                "bubble", "inter MB", "GiB/GPU", "fits");
  s += line;
  const auto order = ranked(sweep);
  for (int i = 0; i < std::min<int>(rows, order.size()); ++i) {
    const auto& p = sweep.predictions[order[i]];
    std::snprintf(line, sizeof line, "%-40s %4d %10.3f %12.0f %7.1f%% %12.2f %10.2f %5s\n", p.strategy.label().c_str(),
                  p.dp_size, p.step_s * 1e3, p.tokens_per_second, 100 * p.bubble, p.inter_host_bytes / 1e6,
                  p.memory_bytes / (1024.0 * 1024.0 * 1024.0), p.fits ? "yes" : "no");
    s += line;
  }
  s += "(" + std::to_string(std::min<int>(rows, order.size())) + " of " + std::to_string(order.size()) +
       " strategies, best first)\n";
  return s;
}

std::string render_recommendation(const Sweep& sweep, const Prediction& given) {
  if (sweep.recommended < 0) {
    double least = 0;
    for (const auto& p : sweep.predictions) least = least == 0 ? p.memory_bytes : std::min(least, p.memory_bytes);
    return "recommended: nothing fits; the smallest need is " + gib(least) + " per GPU, above the usable " +
           gib(given.memory_limit_bytes) + "\n";
  }
  const Prediction& best = sweep.predictions[sweep.recommended];
  std::string s = "recommended: " + summary(best) + "\n";
  s += "  given:     " + summary(given) + (given.fits ? "" : " (does not fit)") + "\n";
  s += "  " + format_number("%.2fx", given.step_s / best.step_s) + " the given dict's speed";
  if (best.strategy.kind != "data_parallel") {
    const Strategy& b = best.strategy;
    for (const auto& p : sweep.predictions) {
      const Strategy& o = p.strategy;
      if (o.kind == b.kind && o.partitions == b.partitions && o.microbatches == b.microbatches &&
          o.virtual_stages == b.virtual_stages && o.placement != b.placement) {
        s += "; placement " + b.placement + " over " + o.placement + ": " + o.placement + " would take " +
             ms(p.step_s) + " and send " + mb(p.inter_host_bytes) + " between hosts per step";
      }
    }
  }
  return s + "\n";
}

nlohmann::json to_json(const Prediction& p) {
  return {{"strategy", p.strategy.label()},
          {"kind", p.strategy.kind},
          {"partitions", p.strategy.partitions},
          {"microbatches", p.strategy.microbatches},
          {"virtual_stages", p.strategy.virtual_stages},
          {"placement", p.strategy.placement},
          {"dp_size", p.dp_size},
          {"predicted_step_s", p.step_s},
          {"tokens_per_second", p.tokens_per_second},
          {"pipeline_s", p.pipeline_s},
          {"allreduce_s", p.allreduce_s},
          {"bubble", p.bubble},
          {"bubble_theory", p.bubble_theory},
          {"intra_host_bytes", p.intra_host_bytes},
          {"inter_host_bytes", p.inter_host_bytes},
          {"peak_memory_bytes", p.memory_bytes},
          {"memory_limit_bytes", p.memory_limit_bytes},
          {"fits", p.fits}};
}

nlohmann::json sweep_to_json(const Job& job, const ClusterType& cluster, const Prediction& given, const Sweep& sweep) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& p : sweep.predictions) all.push_back(to_json(p));
  return {{"cluster", cluster.instance_type},
          {"instance_count", job.instance_count},
          {"processes_per_host", job.processes_per_host},
          {"model", job.shape.name},
          {"global_batch", job.global_batch},
          {"sequence_length", job.sequence_length},
          {"efficiency", calibrated_efficiency(job.calibration)},
          {"given", to_json(given)},
          {"recommended", sweep.recommended < 0 ? nlohmann::json() : to_json(sweep.predictions[sweep.recommended])},
          {"strategies", all}};
}

}  // namespace tandem::cluster
