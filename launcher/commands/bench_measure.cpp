// tandem bench, measuring mode, top to bottom:
//   profiling pass (every layer's times in this process; the point-to-point
//   link between two ranks under mpirun) -> the cluster model calibrated for
//   this machine -> each strategy run with `tandem train` under mpirun, its
//   ranks' reports read back -> measured beside predicted: the table, a
//   progress line per strategy, and the files (launcher/bench/bench_files.h),
//   each written atomically.

#include "common/median.h"
#include "engine/checkpoint/atomic_file.h"
#include "engine/config/train_args.h"
#include "engine/error.h"
#include "engine/model/model_config.h"
#include "engine/model/model_memory.h"
#include "launcher/bench/bench_files.h"
#include "launcher/bench/strategy_run.h"
#include "launcher/cli/bench_args.h"
#include "launcher/commands/bench_modes.h"
#include "launcher/env/env.h"
#include "launcher/mpirun/local_mpirun.h"
#include "parallel/comm/runtime.h"
#include "run/layer_profile.h"
#include "run/link_probe.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <map>
#include <set>
#include <thread>
#include <torch/torch.h>

namespace tandem::commands {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void write_text(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) throw RuntimeFailure("--output_dir: cannot create " + path.parent_path().string() + ": " + ec.message());
  write_file_atomically(path.string(), text);
}

bool passes(const std::vector<std::string>& flags, const std::string& name) {
  for (const auto& f : flags)
    if (f == "--" + name || f.rfind("--" + name + "=", 0) == 0) return true;
  return false;
}

// Text to train on when the user gives no --training_dir: words from a fixed
// generator, enough for every step of every strategy without repeating an epoch.
void write_synthetic_corpus(const fs::path& file, long characters) {
  static const char* words[] = {"the", "model", "trains", "on", "a", "pipeline", "of", "stages", "and", "replicas",
                                "gradients", "flow", "back", "through", "every", "layer", "while", "tokens", "move"};
  std::string text;
  uint64_t state = 2026;
  while (static_cast<long>(text.size()) < characters) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    text += words[(state >> 33) % (sizeof words / sizeof *words)];
    text += (state >> 20) % 11 == 0 ? ".\n" : " ";
  }
  write_text(file, text);
}

struct MachineProbe {
  cluster::Link link;              // ping-pong between two ranks ready for the message
  double busy_sender_alpha_s = 0;  // a pipeline message whose sender computes on
  double host_sync_s = 0;         // the trainer's per-step blocking agreement
  double concurrent_burst_s = 0;  // every rank of the probe bursting at once
  double concurrent_model_step_s = 0;  // every rank running the model's forward and backward at once
  double allreduce_s = 0;         // the model's gradients, every rank of the probe reducing
  // What that reduction adds to a compute burst it runs beside: the time the
  // cluster model charges for it, since here it cannot hide behind compute.
  double allreduce_beside_compute_s = 0;
  double allreduce_bytes = 0;
};

// This machine as a "cluster" for `processes` ranks: one host, the link
// measured inside it, the gradient allreduce at the bandwidth measured with
// that many ranks, and no overlap of communication with compute unless a core
// is left over for the communicator's thread.
cluster::ClusterType this_machine(const MachineProbe& probe, int processes, int cores) {
  const double memory = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  cluster::ClusterType machine{"this machine", processes, {"CPU", 1.0, memory, "fp32"}, probe.link, probe.link};
  machine.intra_host_collective = {
      "this machine (measured allreduce)", probe.link.alpha_s,
      run::ring_allreduce_beta(processes, probe.allreduce_bytes,
                               std::max(probe.allreduce_s, probe.allreduce_beside_compute_s), probe.link.alpha_s)};
  machine.intra_host_busy_sender_alpha_s = probe.busy_sender_alpha_s;
  // With more ranks than cores every message waits for its sender's core,
  // whether the sender computes on or not: another rank holds it.
  if (processes > cores) machine.nvlink.alpha_s = machine.network.alpha_s = probe.busy_sender_alpha_s;
  machine.overlaps_communication = processes < cores;
  return machine;
}

// The examples of the microbatch whose activations (float32, d_model wide)
// make a message of `message_bytes`: the probe times that microbatch's step.
int probe_examples(long message_bytes, int block_size, const ModelConfig& config) {
  return static_cast<int>(std::max(1L, message_bytes / (4L * block_size * config.d_model)));
}

double number_in(const nlohmann::json& j, const char* key, const fs::path& file) {
  if (j.is_discarded() || !j.contains(key) || !j[key].is_number())
    throw RuntimeFailure("bench: " + file.string() + " is not the probe's result (no " + key + ")");
  return j[key].get<double>();
}

MachineProbe probe_this_machine(const fs::path& binary, const fs::path& dir, int ranks, const std::string& model,
                                int block_size, long message_bytes) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw RuntimeFailure("--output_dir: cannot create " + dir.string() + ": " + ec.message());
  const fs::path log = dir / ("link_probe_" + std::to_string(ranks) + ".log");
  const auto command = launcher::local_mpirun_command(
      ranks, {"OMP_NUM_THREADS=1"},
      {binary.string(), "bench", "--probe_link", "True", "--output_dir", dir.string(), "--model_name_or_path", model,
       "--block_size", std::to_string(block_size), "--probe_message_bytes", std::to_string(message_bytes)},
      launcher::Cores::Pinned);
  if (launcher::run_logged(command, log) != 0)
    throw RuntimeFailure("bench: the point-to-point probe failed; its log " + log.string() + " ends:\n" +
                         launcher::log_tail(log, 10));
  const fs::path file = dir / "link_probe.json";
  std::ifstream in(file);  // each probe's, read before the next one starts
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  MachineProbe probe;
  // The message's own transfer time comes back through beta: alpha is what is left.
  const double beta = number_in(j, "beta_bytes_per_s", file);
  probe.link = {"this machine (measured)", number_in(j, "small_one_way_s", file), beta};
  probe.busy_sender_alpha_s =
      std::max(probe.link.alpha_s, number_in(j, "busy_sender_one_way_s", file) - number_in(j, "boundary_bytes", file) / beta);
  probe.host_sync_s = number_in(j, "host_sync_s", file);
  probe.concurrent_burst_s = number_in(j, "concurrent_burst_s", file);
  probe.concurrent_model_step_s = number_in(j, "concurrent_model_step_s", file);
  probe.allreduce_s = number_in(j, "allreduce_s", file);
  probe.allreduce_beside_compute_s =
      std::max(0.0, number_in(j, "burst_with_allreduce_s", file) - probe.concurrent_burst_s);
  probe.allreduce_bytes = number_in(j, "allreduce_bytes", file);
  return probe;
}

// How much slower a core computes while k cores compute, for k = 1 to
// `cores`: 1 alone; from each probe of n ranks pinned one to a core, or
// ceil(n / cores) to a core taking turns (its factor divided by that), the
// point at min(n, cores) busy cores; linear between points, the last beyond.
std::vector<double> slowdown_with_busy_cores(const std::map<int, double>& measured, int cores) {
  std::map<int, std::vector<double>> at = {{1, {1.0}}};
  for (const auto& [n, factor] : measured)
    at[std::min(n, cores)].push_back(std::max(1.0, factor / ((n + cores - 1) / cores)));
  std::map<int, double> points;
  for (const auto& [k, factors] : at) points[k] = median(factors);
  std::vector<double> table;
  for (int k = 1; k <= cores; ++k) {
    const auto above = points.lower_bound(k);
    if (above == points.end()) {
      table.push_back(points.rbegin()->second);
    } else if (above->first == k) {
      table.push_back(above->second);
    } else {
      const auto below = std::prev(above);
      table.push_back(below->second + (above->second - below->second) * (k - below->first) /
                                          double(above->first - below->first));
    }
  }
  return table;
}

// Every figure of the probes taken over the rounds, each its own median.
MachineProbe median_probe(const std::vector<MachineProbe>& probes) {
  const auto of = [&](auto field) {
    std::vector<double> v;
    for (const auto& p : probes) v.push_back(field(p));
    return median(v);
  };
  MachineProbe m;
  m.link = {"this machine (measured)", of([](const MachineProbe& p) { return p.link.alpha_s; }),
            of([](const MachineProbe& p) { return p.link.beta_bytes_per_s; })};
  m.busy_sender_alpha_s = of([](const MachineProbe& p) { return p.busy_sender_alpha_s; });
  m.host_sync_s = of([](const MachineProbe& p) { return p.host_sync_s; });
  m.concurrent_burst_s = of([](const MachineProbe& p) { return p.concurrent_burst_s; });
  m.concurrent_model_step_s = of([](const MachineProbe& p) { return p.concurrent_model_step_s; });
  m.allreduce_s = of([](const MachineProbe& p) { return p.allreduce_s; });
  m.allreduce_beside_compute_s = of([](const MachineProbe& p) { return p.allreduce_beside_compute_s; });
  m.allreduce_bytes = probes.empty() ? 0 : probes.front().allreduce_bytes;
  return m;
}

nlohmann::json profile_json(const cluster::MeasuredProfile& p, const std::map<int, MachineProbe>& machine_at,
                            const std::map<int, double>& compute_slowdown) {
  nlohmann::json slowdown = nlohmann::json::object(), reduce = nlohmann::json::object();
  for (const auto& [n, factor] : compute_slowdown) slowdown[std::to_string(n)] = factor;
  for (const auto& [n, probe] : machine_at)
    reduce[std::to_string(n)] = {{"bytes", probe.allreduce_bytes},
                                 {"seconds", probe.allreduce_s},
                                 {"added_beside_compute_s", probe.allreduce_beside_compute_s}};
  nlohmann::json whole = nlohmann::json::object();
  for (const auto& [tokens, t] : p.whole_model_at_tokens)
    whole[std::to_string(tokens)] = {{"forward_s", t.forward_s}, {"backward_s", t.backward_s}};
  const cluster::Link& link = machine_at.at(2).link;
  nlohmann::json layers = nlohmann::json::object();
  for (const auto& [tokens, times] : p.layers_at_tokens) {
    nlohmann::json rows = nlohmann::json::array();
    for (size_t i = 0; i < times.size(); ++i)
      rows.push_back({{"layer", p.partition_per_token[i].name},
                      {"forward_s", times[i].forward_s},
                      {"backward_s", times[i].backward_s},
                      {"backward_input_s", times[i].backward_input_s},
                      {"backward_weight_s", times[i].backward_weight_s}});
    layers[std::to_string(tokens)] = rows;
  }
  return {{"layers_by_microbatch_tokens", layers},
          {"whole_model_by_microbatch_tokens", whole},
          {"optimizer_s_per_parameter", p.optimizer_s_per_parameter},
          {"step_sync_s", p.step_sync_s},
          {"link", {{"alpha_s", link.alpha_s}, {"beta_bytes_per_s", link.beta_bytes_per_s},
                    {"busy_sender_alpha_s", machine_at.at(2).busy_sender_alpha_s}}},
          {"compute_slowdown", slowdown},
          {"slowdown_with_busy_cores", p.slowdown_with_busy_cores},
          {"gradient_allreduce", reduce},
          {"cores", p.cores}};
}

}  // namespace

int bench_link_rank(const launcher::BenchArgs& args) {
  // The gradient allreduce is timed at the size of the model's gradients (float32).
  const auto gradient_bytes = static_cast<std::size_t>(parameter_bytes(resolve_model_config(args.model)));
  comm::init();
  torch::set_num_threads(1);
  const run::LinkProbe probe =
      run::probe_link(comm::world(), 20, gradient_bytes, static_cast<std::size_t>(args.probe_message_bytes));
  // The model's own forward and backward on every rank at once, on the
  // microbatch whose activations the probe's message carries: the slowest
  // rank's, median of 9 after one warm-up.
  const ModelConfig config = resolve_model_config(args.model);
  const int block_size = launcher::block_size_for(args);
  run::ModelStep step(config, block_size, probe_examples(args.probe_message_bytes, block_size, config), 0);
  const double concurrent_model_step_s = median_after_warmup(9, [&] {
    comm::world().barrier();
    double t = step.seconds();
    comm::world().allreduce(&t, 1, comm::DType::Float64, comm::ReduceOp::Max);
    return t;
  });
  if (comm::world().rank() == 0)
    write_text(fs::path(args.output_dir) / "link_probe.json",
               nlohmann::json{{"alpha_s", probe.link.alpha_s},
                              {"beta_bytes_per_s", probe.link.beta_bytes_per_s},
                              {"small_bytes", probe.small_bytes},
                              {"small_one_way_s", probe.small_one_way_s},
                              {"large_bytes", probe.large_bytes},
                              {"large_one_way_s", probe.large_one_way_s},
                              {"boundary_bytes", probe.boundary_bytes},
                              {"busy_sender_one_way_s", probe.busy_sender_one_way_s},
                              {"host_sync_s", probe.host_sync_s},
                              {"concurrent_burst_s", probe.concurrent_burst_s},
                              {"concurrent_model_step_s", concurrent_model_step_s},
                              {"allreduce_bytes", probe.allreduce_bytes},
                              {"allreduce_s", probe.allreduce_s},
                              {"burst_with_allreduce_s", probe.burst_with_allreduce_s}}
                   .dump(2) + "\n");
  comm::finalize();
  return 0;
}

int bench_measure(const launcher::BenchArgs& args) {
  const auto started = Clock::now();
  const fs::path out = args.output_dir;
  const fs::path binary = fs::read_symlink("/proc/self/exe");
  const int block_size = block_size_for(args);
  const int steps = steps_for(args);
  launcher::BenchSizes sizes;
  sizes.processes = args.processes;
  sizes.hybrid_processes = 2 * args.processes;
  sizes.global_batch = args.global_batch;
  sizes.microbatches = args.microbatches;
  const auto strategies = launcher::bench_strategies(sizes, args.strategies);

  // The flags every run shares; the user's train flags come last and win.
  std::vector<std::string> shared = {"--model_name_or_path", args.model, "--block_size", std::to_string(block_size),
                                     "--max_steps", std::to_string(steps), "--logging_steps", std::to_string(steps),
                                     "--save_steps", "0", "--do_eval", "False", "--num_threads", "1"};
  const bool own_data = passes(args.train_flags, "training_dir") || passes(args.train_flags, "train_dir") ||
                        passes(args.train_flags, "train-dir");
  const fs::path corpus = out / "data" / "train" / "corpus.txt";
  if (!own_data) shared.insert(shared.end(), {"--training_dir", corpus.parent_path().string()});
  shared.insert(shared.end(), args.train_flags.begin(), args.train_flags.end());
  // Refuse a bad train flag here, in one line, rather than in every run.
  const TrainArgs train_args = parse_train_args(shared, launcher::Env::from_process().vars());
  validate_train_args(train_args);
  const ModelConfig model_config = resolve_model_config(args.model);
  const cluster::ModelShape shape = model_shape(args.model);
  if (!own_data) write_synthetic_corpus(corpus, 4L * args.global_batch * (steps + 1) * (block_size + 1) * 8);

  // The profiling pass: the predictions below come from it, not from the runs.
  const int cores = std::max(1u, std::thread::hardware_concurrency());
  std::printf("profiling %s: every layer at %d-token examples, on %d thread(s) ...\n", args.model.c_str(), block_size,
              std::max(1, train_args.num_threads));
  std::fflush(stdout);
  torch::set_num_threads(std::max(1, train_args.num_threads));
  run::ProfileRequest request;
  request.model = model_config;
  request.block_size = block_size;
  request.seed = train_args.seed;
  request.repeats = args.quick ? 5 : 7;
  std::set<int> sizes_needed;
  for (const auto& s : strategies) sizes_needed.insert(s.microbatch_examples());
  request.microbatch_examples.assign(sizes_needed.begin(), sizes_needed.end());
  cluster::MeasuredProfile profile = run::profile_layers(request);
  std::printf("profiled the layers in %.1f s\n", since(started));

  // Every round probes the machine, then runs each strategy once: a slow
  // spell of the machine then touches one round of everything, and the
  // median round of each strategy (and each probe figure's median) leaves it out.
  std::set<int> rank_counts = {2};
  for (const auto& s : strategies)
    if (s.processes > 1) rank_counts.insert(s.processes);
  std::map<int, std::vector<MachineProbe>> probes;
  long message_bytes = 0;  // the smallest microbatch's activations between two stages (float32)
  for (const auto& s : strategies)
    if (s.model.partitions > 1) {
      const long bytes = 4L * s.microbatch_examples() * block_size * model_config.d_model;
      message_bytes = message_bytes ? std::min(message_bytes, bytes) : bytes;
    }
  if (message_bytes == 0) message_bytes = 4L * block_size * model_config.d_model;
  struct Run {
    launcher::Measurement measured;
    std::vector<launcher::RankReport> ranks;
  };
  std::vector<std::vector<Run>> runs(strategies.size());
  std::map<int, std::vector<double>> slowdowns;  // per rank count, one per round
  run::ModelStep alone(model_config, block_size, probe_examples(message_bytes, block_size, model_config),
                       train_args.seed);
  for (int round = 1; round <= args.rounds; ++round) {
    // The model's step alone in this process, just before the ranks run it
    // together: each round's ratio is taken between two measures a moment apart.
    const double alone_s = median_after_warmup(9, [&] { return alone.seconds(); });
    for (int n : rank_counts) {
      probes[n].push_back(probe_this_machine(binary, out / "profile", n, args.model, block_size, message_bytes));
      slowdowns[n].push_back(probes[n].back().concurrent_model_step_s / alone_s);
    }
    for (size_t i = 0; i < strategies.size(); ++i) {
      const launcher::BenchStrategy& s = strategies[i];
      const auto t0 = Clock::now();
      std::printf("[round %d/%d] [%zu/%zu] %s: %d rank(s), batch %d per replica ...", round, args.rounds, i + 1,
                  strategies.size(), s.name.c_str(), s.processes, s.per_device_batch);
      std::fflush(stdout);
      launcher::StrategyRunSpec spec{binary, out / "runs" / s.name, shared};
      std::error_code ec;
      fs::remove_all(spec.run_dir, ec);  // reports of an earlier run must not be read as this one's
      fs::create_directories(spec.run_dir, ec);
      if (ec) throw RuntimeFailure("--output_dir: cannot create " + spec.run_dir.string() + ": " + ec.message());
      const fs::path log = spec.run_dir / "train.log";
      const int code = launcher::run_logged(launcher::strategy_command(s, spec), log);
      if (code != 0)
        throw RuntimeFailure("bench: strategy " + s.name + " failed (exit " + std::to_string(code) + "); " +
                             log.string() + " ends:\n" + launcher::log_tail(log, 12));
      Run run;
      run.ranks = launcher::read_rank_reports(spec.run_dir / "reports", s.processes);
      run.measured = launcher::measure(run.ranks, launcher::kWarmupSteps);
      std::printf(" step %.1f ms, %.1f s\n", 1e3 * run.measured.step_s, since(t0));
      std::fflush(stdout);
      runs[i].push_back(std::move(run));
    }
  }

  // The machine as the probes' medians saw it: the link between two ranks,
  // and per rank count how much slower every rank computes at once and how
  // fast the gradients reduce.
  std::map<int, MachineProbe> machine_at;
  std::map<int, double> compute_slowdown;
  for (const auto& [n, taken] : probes) {
    machine_at[n] = median_probe(taken);
    compute_slowdown[n] = median(slowdowns[n]);
  }
  const MachineProbe& pair = machine_at.at(2);
  profile.step_sync_s = pair.host_sync_s;
  // Every rank is pinned to a core (strategy_run.cpp): the model follows
  // which ranks share one (measured_profile.h).
  profile.cores = cores;
  profile.slowdown_with_busy_cores = slowdown_with_busy_cores(compute_slowdown, cores);
  write_text(out / "profile" / "profile.json", profile_json(profile, machine_at, compute_slowdown).dump(2) + "\n");
  std::printf("\nthis machine (median of %d probe(s)): point-to-point alpha %.1f us (%.0f us with the sender computing "
              "on), beta %.2f GB/s; %d cores;",
              args.rounds, pair.link.alpha_s * 1e6, pair.busy_sender_alpha_s * 1e6, pair.link.beta_bytes_per_s / 1e9, cores);
  for (const auto& [n, factor] : compute_slowdown)
    std::printf(" %d ranks compute %.2fx slower at once and reduce the gradients in %.1f ms (%.1f ms beside compute);",
                n, factor, 1e3 * machine_at[n].allreduce_s, 1e3 * machine_at[n].allreduce_beside_compute_s);
  std::printf("\n");

  std::vector<launcher::BenchResult> results;
  for (size_t i = 0; i < strategies.size(); ++i) {
    const launcher::BenchStrategy& s = strategies[i];
    std::vector<size_t> order(runs[i].size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return runs[i][a].measured.step_s < runs[i][b].measured.step_s; });
    const Run& median_run = runs[i][order[order.size() / 2]];

    launcher::BenchResult r;
    r.strategy = s;
    r.measured = median_run.measured;
    for (const Run& run : runs[i]) r.round_step_s.push_back(run.measured.step_s);
    r.tokens_per_step = static_cast<double>(args.global_batch) * block_size;
    // The optimizer, timed after a forward and backward (run/layer_profile.cpp),
    // streams its state from memory at one core's pace: ranks on one core take
    // turns, and cores do not slow each other there (measured: two ranks'
    // steps as fast as one process's, docs/clusters.md).
    profile.optimizer_scale = (s.processes + cores - 1) / cores;
    MachineProbe machine = machine_at.count(s.processes) ? machine_at.at(s.processes) : pair;
    machine.link = pair.link;
    cluster::Job job;
    job.shape = shape;
    job.sequence_length = block_size;
    job.global_batch = args.global_batch;
    job.instance_count = 1;
    job.processes_per_host = s.processes;
    job.measured = &profile;
    r.predicted = cluster::predict(job, s.model, this_machine(machine, s.processes, cores));
    std::printf("[%zu/%zu] %s: step %.1f ms (median of %zu), predicted %.1f ms (%+.0f%%), %.0f tokens/s, "
                "bubble %.1f%% (theory %.1f%%), %.0f KiB sent per step\n",
                i + 1, strategies.size(), s.name.c_str(), 1e3 * r.measured.step_s, runs[i].size(),
                1e3 * r.predicted.step_s, 100 * r.prediction_error(), r.tokens_per_second(), 100 * r.measured.bubble,
                100 * r.predicted.bubble_theory, r.measured.comm_bytes / 1024);
    write_text(out / "traces" / (s.name + ".trace.json"), launcher::chrome_trace(s.name, median_run.ranks).dump() + "\n");
    write_text(out / "charts" / ("timeline_" + s.name + ".svg"), launcher::timeline_svg(r));
    results.push_back(r);
  }

  write_text(out / "bench.json", launcher::bench_json(results).dump(2) + "\n");
  write_text(out / "bench.csv", launcher::bench_csv(results));
  write_text(out / "charts" / "throughput.svg", launcher::throughput_svg(results));
  std::printf("\n%s\n%s", launcher::render_bench_table(results).c_str(),
              launcher::render_prediction_check(results).c_str());
  std::printf("wrote %s (bench.json, bench.csv, traces/, charts/) in %.0f s\n", out.string().c_str(), since(started));
  return 0;
}

}  // namespace tandem::commands
