// tandem bench, measuring mode, top to bottom:
//   profiling pass (every layer's times in this process; the point-to-point
//   link between two ranks under mpirun) -> the cluster model calibrated for
//   this machine -> each strategy run with `tandem train` under mpirun, its
//   ranks' reports read back -> measured beside predicted: the table, a
//   progress line per strategy, and the files (launcher/bench/bench_files.h),
//   each written atomically.

#include "engine/checkpoint/atomic_file.h"
#include "engine/config/train_args.h"
#include "engine/error.h"
#include "engine/model/model_config.h"
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

// This machine as a "cluster": one host, the measured link inside it.
cluster::ClusterType this_machine(const cluster::Link& link, int processes) {
  const double memory = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  return {"this machine", processes, {"CPU", 1.0, memory, "fp32"}, link, link};
}

struct MachineProbe {
  cluster::Link link;
  double host_sync_s = 0;       // the trainer's per-step blocking agreement
  double concurrent_burst_s = 0;  // every rank of the probe bursting at once
};

MachineProbe probe_this_machine(const fs::path& binary, const fs::path& dir, int ranks) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw RuntimeFailure("--output_dir: cannot create " + dir.string() + ": " + ec.message());
  const fs::path log = dir / ("link_probe_" + std::to_string(ranks) + ".log");
  const auto command = launcher::local_mpirun_command(
      ranks, {"OMP_NUM_THREADS=1"}, {binary.string(), "bench", "--probe_link", "True", "--output_dir", dir.string()});
  if (launcher::run_logged(command, log) != 0)
    throw RuntimeFailure("bench: the point-to-point probe failed; its log " + log.string() + " ends:\n" +
                         launcher::log_tail(log, 10));
  std::ifstream in(dir / "link_probe.json");  // each probe's, read before the next one starts
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  for (const char* key : {"alpha_s", "beta_bytes_per_s", "host_sync_s"})
    if (j.is_discarded() || !j.contains(key) || !j[key].is_number())
      throw RuntimeFailure("bench: " + (dir / "link_probe.json").string() + " is not the probe's result (no " + key + ")");
  if (!j.contains("concurrent_burst_s") || !j["concurrent_burst_s"].is_number())
    throw RuntimeFailure("bench: " + (dir / "link_probe.json").string() + " is not the probe's result (no concurrent_burst_s)");
  MachineProbe probe{{"this machine (measured)", j["alpha_s"].get<double>(), j["beta_bytes_per_s"].get<double>()},
                     j["host_sync_s"].get<double>(), j["concurrent_burst_s"].get<double>()};
  return probe;
}

nlohmann::json profile_json(const cluster::MeasuredProfile& p, const cluster::Link& link,
                            const std::map<int, double>& compute_slowdown, int cores) {
  nlohmann::json slowdown = nlohmann::json::object();
  for (const auto& [n, factor] : compute_slowdown) slowdown[std::to_string(n)] = factor;
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
          {"optimizer_s_per_parameter", p.optimizer_s_per_parameter},
          {"step_sync_s", p.step_sync_s},
          {"link", {{"alpha_s", link.alpha_s}, {"beta_bytes_per_s", link.beta_bytes_per_s}}},
          {"compute_slowdown", slowdown},
          {"cores", cores}};
}

}  // namespace

int bench_link_rank(const launcher::BenchArgs& args) {
  comm::init();
  torch::set_num_threads(1);
  const run::LinkProbe probe = run::probe_link(comm::world(), 20);
  if (comm::world().rank() == 0)
    write_text(fs::path(args.output_dir) / "link_probe.json",
               nlohmann::json{{"alpha_s", probe.link.alpha_s},
                              {"beta_bytes_per_s", probe.link.beta_bytes_per_s},
                              {"small_bytes", probe.small_bytes},
                              {"small_one_way_s", probe.small_one_way_s},
                              {"large_bytes", probe.large_bytes},
                              {"large_one_way_s", probe.large_one_way_s},
                              {"host_sync_s", probe.host_sync_s},
                              {"concurrent_burst_s", probe.concurrent_burst_s}}
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
  request.repeats = args.quick ? 3 : 5;
  std::set<int> sizes_needed;
  for (const auto& s : strategies) sizes_needed.insert(s.microbatch_examples());
  request.microbatch_examples.assign(sizes_needed.begin(), sizes_needed.end());
  cluster::MeasuredProfile profile = run::profile_layers(request);
  // How much slower n ranks compute at once than one alone, for each rank count the strategies use.
  const double alone_s = run::compute_burst_seconds(request.repeats);
  std::set<int> rank_counts = {2};
  for (const auto& s : strategies)
    if (s.processes > 1) rank_counts.insert(s.processes);
  std::map<int, double> compute_slowdown;
  MachineProbe machine;
  for (int n : rank_counts) {
    const MachineProbe probe = probe_this_machine(binary, out / "profile", n);
    if (n == 2) machine = probe;  // the link and the agreement between two ranks
    compute_slowdown[n] = probe.concurrent_burst_s / alone_s;
  }
  const cluster::Link& link = machine.link;
  profile.step_sync_s = machine.host_sync_s;
  write_text(out / "profile" / "profile.json", profile_json(profile, link, compute_slowdown, cores).dump(2) + "\n");
  std::printf("profiled in %.1f s: point-to-point alpha %.1f us, beta %.2f GB/s; %d cores;", since(started),
              link.alpha_s * 1e6, link.beta_bytes_per_s / 1e9, cores);
  for (const auto& [n, factor] : compute_slowdown) std::printf(" %d ranks at once compute %.2fx slower", n, factor);
  std::printf("\n");

  std::vector<launcher::BenchResult> results;
  std::vector<std::pair<std::string, std::vector<launcher::RankReport>>> reports;
  for (size_t i = 0; i < strategies.size(); ++i) {
    const launcher::BenchStrategy& s = strategies[i];
    const auto t0 = Clock::now();
    std::printf("[%zu/%zu] %s: %d rank(s), batch %d per replica ...\n", i + 1, strategies.size(), s.name.c_str(),
                s.processes, s.per_device_batch);
    std::fflush(stdout);
    launcher::StrategyRunSpec spec{binary, out / "runs" / s.name, shared};
    std::error_code ec;
    fs::remove_all(spec.run_dir, ec);  // reports of an earlier bench must not be read as this one's
    fs::create_directories(spec.run_dir, ec);
    if (ec) throw RuntimeFailure("--output_dir: cannot create " + spec.run_dir.string() + ": " + ec.message());
    const fs::path log = spec.run_dir / "train.log";
    const int code = launcher::run_logged(launcher::strategy_command(s, spec), log);
    if (code != 0)
      throw RuntimeFailure("bench: strategy " + s.name + " failed (exit " + std::to_string(code) + "); " + log.string() +
                           " ends:\n" + launcher::log_tail(log, 12));
    auto ranks = launcher::read_rank_reports(spec.run_dir / "reports", s.processes);

    launcher::BenchResult r;
    r.strategy = s;
    r.measured = launcher::measure(ranks, launcher::kWarmupSteps);
    r.tokens_per_step = static_cast<double>(args.global_batch) * block_size;
    // Measured in the probe for 2 ranks and the largest strategy's; otherwise ranks over cores.
    const auto slowdown = compute_slowdown.find(s.processes);
    profile.compute_scale = slowdown != compute_slowdown.end()
                                ? std::max(1.0, slowdown->second)
                                : std::max(1.0, static_cast<double>(s.processes) / cores);
    cluster::Job job;
    job.shape = shape;
    job.sequence_length = block_size;
    job.global_batch = args.global_batch;
    job.instance_count = 1;
    job.processes_per_host = s.processes;
    job.measured = &profile;
    r.predicted = cluster::predict(job, s.model, this_machine(link, s.processes));
    std::printf("[%zu/%zu] %s: step %.1f ms, predicted %.1f ms (%+.0f%%), %.0f tokens/s, bubble %.1f%% (theory %.1f%%), "
                "%.0f KiB sent per step, %.1f s\n",
                i + 1, strategies.size(), s.name.c_str(), 1e3 * r.measured.step_s, 1e3 * r.predicted.step_s,
                100 * r.prediction_error(), r.tokens_per_second(), 100 * r.measured.bubble,
                100 * r.predicted.bubble_theory, r.measured.comm_bytes / 1024, since(t0));
    std::fflush(stdout);
    write_text(out / "traces" / (s.name + ".trace.json"), launcher::chrome_trace(s.name, ranks).dump() + "\n");
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
