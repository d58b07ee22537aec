// Pipeline bubble and activation stash of the engine's schedules, measured on
// the real executor: one pipeline of p = (number of ranks) stages, uniform
// (every stage the same number of transformer blocks; the embedding rides on
// the first stage, the final norm and the tied head on the last, both cheap
// at vocab 256).
//
//   mpirun -np 2 build/benchmarks/pipeline_bench [--layers 8] [--d 256] [--heads 4]
//       [--T 128] [--microbatch 2] [--steps 3] [--warmup 1] [--threads 1]
//       [--trace_dir DIR (default: results/ beside the binary)]
//
// For each schedule (simple, interleaved, interleaved_virtual v=2, zb_h1, and
// zb_v: the V-shaped zero bubble, two chunks per rank in the V placement) and
// m = 4, 8 (microbatch size fixed, so the batch is m · microbatch):
//   measured   1 - Σ busy / (p · makespan) over every rank's compute actions of
//              a step (PipelineExecutor::last_step_timeline), each rank's clock
//              taken from the exit of a barrier just before the step; median over steps
//   theory     theoretical_bubble(spec) (uniform stages, equal F/b/w for ZB-H1 and ZB-V)
//   simulated  the schedule simulator fed this run's mean F, B, b (input grad)
//              and w (weight grad) times: what the schedule gives for these costs
//   stash      peak_stashed() / peak_stashed_bytes(), max over ranks: the
//              boundary tensors (received inputs, sent outputs) kept between a
//              microbatch's forward and its backward
// Writes the last step of each as a Chrome trace (Perfetto: ui.perfetto.dev)
// to TRACE_DIR/pipeline_<schedule>_m<m>.json, one process per rank.

#include "benchmarks/bench_args.h"
#include "benchmarks/bench_common.h"
#include "common/median.h"
#include "engine/model/transformer_model.h"
#include "parallel/comm/runtime.h"
#include "parallel/pipeline/executor/pipeline_executor.h"
#include "parallel/pipeline/schedule/bubble.h"
#include "parallel/pipeline/schedule/chrome_trace.h"
#include "parallel/pipeline/schedule/simulate.h"
#include "parallel/world/process_groups.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace tandem;

double now_us() {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The blocks cut evenly into `stages` (global stage order: the executor puts
// them on ranks by the schedule's placement); the embedding joins the first
// stage, the final norm and head the last. Layers: embedding, n blocks, norm, head.
std::vector<pipeline::ChunkLayers> uniform_stages(int blocks, int stages) {
  std::vector<pipeline::ChunkLayers> out;
  const int per = blocks / stages;
  for (int s = 0; s < stages; ++s) {
    const size_t begin = s == 0 ? 0 : 1 + s * per;
    const size_t end = s == stages - 1 ? blocks + 3 : 1 + (s + 1) * per;
    out.push_back({begin, end});
  }
  return out;
}

// Every rank's timeline of one step on rank 0, as TimedActions relative to
// each rank's own zero. Five doubles per action: kind, microbatch, chunk, start, end.
std::vector<pipeline::TimedAction> gather_timelines(comm::Communicator& world,
                                                    const std::vector<pipeline::ExecutedAction>& mine,
                                                    double zero_us) {
  double longest = static_cast<double>(mine.size());
  world.allreduce(&longest, 1, comm::DType::Float64, comm::ReduceOp::Max);
  const size_t width = 5 * static_cast<size_t>(longest);
  std::vector<double> row(width, -1.0);
  for (size_t i = 0; i < mine.size(); ++i) {
    const auto& e = mine[i];
    double* r = &row[5 * i];
    r[0] = static_cast<double>(e.action.kind);
    r[1] = e.action.microbatch;
    r[2] = e.action.chunk;
    r[3] = e.start_us - zero_us;
    r[4] = e.end_us - zero_us;
  }
  std::vector<double> all(width * world.size());
  world.allgather(row.data(), all.data(), width, comm::DType::Float64);
  std::vector<pipeline::TimedAction> out;
  for (int rank = 0; rank < world.size(); ++rank)
    for (size_t i = 0; i < width; i += 5) {
      const double* r = &all[rank * width + i];
      if (r[0] < 0) break;
      pipeline::TimedAction t;
      t.rank = rank;
      t.action.kind = static_cast<pipeline::ActionKind>(static_cast<int>(r[0]));
      t.action.microbatch = static_cast<int>(r[1]);
      t.action.chunk = static_cast<int>(r[2]);
      t.start_us = r[3];
      t.end_us = r[4];
      out.push_back(t);
    }
  return out;
}

// 1 - Σ busy / (ranks · makespan), the makespan from the first compute start to the last end on any rank.
struct Span {
  double bubble, makespan_ms, busy_ms;
};

Span span_of(const std::vector<pipeline::TimedAction>& timeline, int ranks) {
  double first = 1e300, last = -1e300, busy = 0;
  for (const auto& t : timeline) {
    first = std::min(first, t.start_us);
    last = std::max(last, t.end_us);
    busy += t.end_us - t.start_us;
  }
  return {1 - busy / (ranks * (last - first)), (last - first) / 1e3, busy / 1e3};
}

struct Row {
  pipeline::ScheduleSpec spec;
  double theory, measured, simulated, makespan_ms, busy_ms;
  pipeline::Costs costs;  // ms
  int peak_stashed;
  int64_t peak_stashed_bytes;
};

// Mean cost (ms) of each compute kind in a step's timeline, for the simulator.
pipeline::Costs mean_costs(const std::vector<pipeline::TimedAction>& timeline) {
  double sum[4] = {0, 0, 0, 0}, count[4] = {0, 0, 0, 0};
  for (const auto& t : timeline) {
    const int k = t.action.kind == pipeline::ActionKind::Forward         ? 0
                  : t.action.kind == pipeline::ActionKind::Backward      ? 1
                  : t.action.kind == pipeline::ActionKind::BackwardInput ? 2
                                                                          : 3;
    sum[k] += (t.end_us - t.start_us) / 1e3;
    count[k] += 1;
  }
  pipeline::Costs costs;
  costs.forward = count[0] ? sum[0] / count[0] : 0;
  costs.backward = count[1] ? sum[1] / count[1] : 0;
  costs.backward_input = count[2] ? sum[2] / count[2] : 0;
  costs.backward_weight = count[3] ? sum[3] / count[3] : 0;
  return costs;
}

struct Setup {
  tandem::bench::PipelineArgs args;
  tandem::ModelConfig model;
  std::string trace_dir;
};

// One schedule at m microbatches on the real executor: the row on rank 0 (the
// JSON line printed and the trace written), nothing on the other ranks.
std::optional<Row> measure(const Setup& setup, comm::Communicator& world, const parallel::ProcessGroups& groups,
                           const std::string& kind, int m) {
  const int rank = world.rank(), p = world.size();
  const int layers = setup.args.layers, T = setup.args.T, mb = setup.args.microbatch;
  pipeline::ScheduleSpec spec{kind, p, m, kind == "interleaved_virtual" || kind == "zb_v" ? 2 : 1};
  auto model = TransformerModel::build(setup.model, 0);  // fresh: the executor unties the head's embedding copy
  pipeline::PipelineExecutor executor(model, uniform_stages(layers, p * spec.virtual_stages), groups, spec, {},
                                      torch::kCPU);
  torch::manual_seed(7);  // the same batch on every stage
  auto ids = torch::randint(0, setup.model.vocab_size, {m * mb, T + 1}, torch::kLong);
  const Batch batch{ids.slice(1, 0, T).contiguous(), ids.slice(1, 1, T + 1).contiguous(), {}};

  std::vector<double> bubbles, makespans, busys;
  std::vector<pipeline::TimedAction> timeline;
  for (int s = 0; s < setup.args.warmup + setup.args.steps; ++s) {
    for (auto& [name, param] : executor.named_parameters())
      if (param.grad().defined()) param.mutable_grad().zero_();
    world.barrier();
    const double zero = now_us();
    executor.forward_backward({batch});
    timeline = gather_timelines(world, executor.last_step_timeline(), zero);
    if (s < setup.args.warmup || rank != 0) continue;
    const Span span = span_of(timeline, p);
    bubbles.push_back(span.bubble);
    makespans.push_back(span.makespan_ms);
    busys.push_back(span.busy_ms);
  }
  int stashed = executor.peak_stashed();
  double stashed_bytes = static_cast<double>(executor.peak_stashed_bytes());
  world.allreduce(&stashed, 1, comm::DType::Int32, comm::ReduceOp::Max);
  world.allreduce(&stashed_bytes, 1, comm::DType::Float64, comm::ReduceOp::Max);
  if (rank != 0) return std::nullopt;

  const pipeline::Costs costs = mean_costs(timeline);
  const auto predicted = pipeline::simulate(pipeline::build_schedule(spec), costs);
  Row row{spec, pipeline::theoretical_bubble(spec), median(bubbles), predicted.bubble_fraction,
          median(makespans), median(busys), costs, stashed, static_cast<int64_t>(stashed_bytes)};
  std::filesystem::create_directories(setup.trace_dir);
  const std::string path = setup.trace_dir + "/pipeline_" + kind + "_m" + std::to_string(m) + ".json";
  std::ofstream(path) << pipeline::chrome_trace_json(timeline) << "\n";
  std::printf("{\"schedule\": \"%s\", \"p\": %d, \"m\": %d, \"v\": %d, \"bubble_theory\": %.4f, "
              "\"bubble_measured\": %.4f, \"bubble_simulated\": %.4f, \"makespan_ms\": %.1f, \"busy_ms\": %.1f, "
              "\"F_ms\": %.2f, \"B_ms\": %.2f, \"b_ms\": %.2f, \"w_ms\": %.2f, \"peak_stashed\": %d, "
              "\"peak_stashed_bytes\": %lld, \"trace\": \"%s\"}\n",
              kind.c_str(), p, m, spec.virtual_stages, row.theory, row.measured, row.simulated, row.makespan_ms,
              row.busy_ms, costs.forward, costs.backward, costs.backward_input, costs.backward_weight, stashed,
              static_cast<long long>(row.peak_stashed_bytes), path.c_str());
  std::fflush(stdout);
  return row;
}

// The table of every row, and 1F1B's stash bound against GPipe's at the same m.
void print_summary(const Setup& setup, int p, const std::vector<Row>& rows) {
  const auto& a = setup.args;
  const double microbatch_bytes = 4.0 * a.microbatch * a.T * a.d;  // one boundary tensor, float32
  std::printf("\n# p=%d, %d blocks d=%d T=%d, microbatch %d examples (%.0f KiB per boundary tensor), "
              "median of %d steps\n",
              p, a.layers, a.d, a.T, a.microbatch, microbatch_bytes / 1024, a.steps);
  std::printf("# %-23s %3s %8s %9s %7s %10s %10s %9s %6s %12s\n", "schedule", "m", "theory", "measured", "ratio",
              "simulated", "step(ms)", "busy(ms)", "stash", "stash(KiB)");
  for (const auto& r : rows)
    std::printf("  %-23s %3d %7.1f%% %8.1f%% %6.2fx %9.1f%% %10.1f %9.1f %6d %12.0f\n",
                (r.spec.kind + (r.spec.virtual_stages > 1 ? " v=2" : "")).c_str(), r.spec.microbatches,
                100 * r.theory, 100 * r.measured, r.measured / r.theory, 100 * r.simulated, r.makespan_ms, r.busy_ms,
                r.peak_stashed, r.peak_stashed_bytes / 1024.0);
  // (p/m)·simple + one microbatch.
  for (const auto& r : rows) {
    if (r.spec.kind != "interleaved") continue;
    for (const auto& s : rows)
      if (s.spec.kind == "simple" && s.spec.microbatches == r.spec.microbatches) {
        const double bound = double(p) / r.spec.microbatches * s.peak_stashed_bytes + microbatch_bytes;
        std::printf("# m=%d: interleaved stash %.0f KiB <= (p/m)·simple + one microbatch = %.0f KiB: %s\n",
                    r.spec.microbatches, r.peak_stashed_bytes / 1024.0, bound / 1024,
                    r.peak_stashed_bytes <= bound ? "yes" : "NO");
      }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Setup setup;
  setup.args = bench::parse_or_exit(bench::pipeline_flag_table(), argc, argv);  // before MPI: a bad flag exits 2
  comm::init();
  comm::Communicator& world = comm::world();
  const int rank = world.rank(), p = world.size();
  const auto& args = setup.args;
  // Beside the binary by default (build*/ is ignored by git).
  setup.trace_dir = !args.trace_dir.empty() ? args.trace_dir
                                            : (std::filesystem::path(argv[0]).parent_path() / "results").string();
  setup.model = tandem::bench::gpt_shape(args.layers, args.d, args.heads, args.T);
  torch::set_num_threads(args.threads);
  if (p < 2 || args.layers % (2 * p) != 0) {
    if (rank == 0) std::fprintf(stderr, "pipeline_bench: run under mpirun -np P >= 2 with --layers a multiple of 2P\n");
    comm::finalize();
    return 2;
  }

  // One replica: the pipeline is every rank, the data group each rank alone.
  parallel::ProcessGroups groups =
      parallel::make_process_groups(world, parallel::make_layout(p, p, parallel::parse_placement("cluster"), p));
  std::vector<Row> rows;
  for (const std::string kind : {"simple", "interleaved", "interleaved_virtual", "zb_h1", "zb_v"})
    for (const int m : {4, 8})
      if (auto row = measure(setup, world, groups, kind, m)) rows.push_back(*row);
  if (rank == 0) print_summary(setup, p, rows);
  groups = {};
  comm::finalize();
  return 0;
}
