// `tandem bench`'s arithmetic on fixed inputs: the strategies and their
// dicts, a strategy's measurement from synthetic rank reports (step, bubble,
// communication, bytes inside and between hosts, the timeline with its idle
// gaps), the prediction's error and the term named when it misses, and the
// files' shapes (trace tracks, CSV rows, SVG elements). Nothing is timed.
#include "engine/error.h"
#include "launcher/bench/bench_files.h"
#include "launcher/bench/bench_result.h"
#include "launcher/bench/bench_strategies.h"
#include "launcher/bench/rank_report.h"
#include "launcher/bench/strategy_run.h"
#include "launcher/mpirun/local_mpirun.h"
#include "tests/common/error_matchers.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace tandem::launcher {
namespace {

TEST(BenchStrategies, EveryStrategyKeepsTheGlobalBatch) {
  const auto all = bench_strategies(BenchSizes{}, "");
  ASSERT_EQ(all.size(), bench_strategy_names().size());
  for (const auto& s : all) {
    EXPECT_EQ(s.per_device_batch * s.replicas(), 8) << s.name;
    EXPECT_EQ(s.per_device_batch % s.model.microbatches, 0) << s.name;
  }
  EXPECT_EQ(all[0].processes, 1);
  EXPECT_EQ(all[0].distribution, "");
  const auto zb = bench_strategies(BenchSizes{}, "zero_bubble,hybrid_spread");
  ASSERT_EQ(zb.size(), 2u);
  const auto dict = nlohmann::json::parse(zb[0].distribution);
  const auto& parameters = dict["smdistributed"]["modelparallel"]["parameters"];
  EXPECT_EQ(parameters["zero_bubble"], true);
  EXPECT_EQ(parameters["partitions"], 2);
  EXPECT_EQ(zb[1].processes, 4);
  EXPECT_EQ(nlohmann::json::parse(zb[1].distribution)["smdistributed"]["modelparallel"]["parameters"]["ddp"], true);
  EXPECT_EQ(zb[1].model.placement, "spread");
}

// The bench pins rank r to core r mod cores, so which ranks share a core is
// the same in every run and the cluster model's to follow; other local runs
// leave the ranks to the scheduler, as SageMaker's toolkit does.
TEST(BenchStrategies, RunsArePinnedToCoresInRankOrder) {
  const auto hybrid = bench_strategies(BenchSizes{}, "hybrid_cluster").front();
  const auto command = strategy_command(hybrid, {"/bin/tandem", "/tmp/run", {}});
  const auto bind = std::find(command.begin(), command.end(), "-bind-to");
  ASSERT_NE(bind, command.end());
  EXPECT_EQ(*(bind + 1), "core:overload-allowed");
  const auto map = std::find(command.begin(), command.end(), "-map-by");
  ASSERT_NE(map, command.end());
  EXPECT_EQ(*(map + 1), "slot");
  EXPECT_EQ(std::count(command.begin(), command.end(), "-bind-to"), 1);
  const auto free = local_mpirun_command(4, {}, {"true"});
  EXPECT_EQ(*(std::find(free.begin(), free.end(), "-bind-to") + 1), "none");
}

TEST(BenchStrategies, UnknownNamesAndUndividedBatchesAreRefused) {
  EXPECT_ERROR(bench_strategies(BenchSizes{}, "single,gpipe"), UsageError,
               "--strategies: unknown strategy \"gpipe\" (expected a comma-separated list of: single, data_parallel");
  BenchSizes odd;
  odd.global_batch = 6;
  EXPECT_ERROR(bench_strategies(odd, "pipeline_simple"), UsageError,
               "--global_batch: 6 examples do not divide into 4 microbatches per replica (pipeline_simple)");
}

// Two ranks of a 2-stage pipeline, one warm-up step and two measured steps of
// 10 s (rank 0) and 9 s (rank 1); rank 1 lives on another host.
std::vector<RankReport> two_rank_reports() {
  std::vector<RankReport> r(2);
  for (int k = 0; k < 2; ++k) {
    r[k].rank = k;
    r[k].world_size = 2;
    r[k].pp_rank = k;
    r[k].host = k == 0 ? "algo-1" : "algo-2";
    r[k].peak_memory_bytes = 1000.0 * (k + 1);
  }
  for (int step = 0; step < 3; ++step) {
    const double t = 100.0 * step;
    r[0].steps.push_back({t, t + 10, {{1, 400.0}}});
    r[1].steps.push_back({t, t + 9, {{0, 100.0}}});
    // rank 0: forward 0-2, communication 2-3, backward 6-10; rank 1: forward 2-4, backward 4-8, optimizer 8-9.
    r[0].spans.push_back({"forward", t, t + 2, 0});
    r[0].spans.push_back({"communication", t + 2, t + 3, -1});
    r[0].spans.push_back({"backward", t + 6, t + 10, 0});
    r[1].spans.push_back({"forward", t + 2, t + 4, 0});
    r[1].spans.push_back({"backward", t + 4, t + 8, 0});
    r[1].spans.push_back({"optimizer", t + 8, t + 9, -1});
    for (auto& rank : r) rank.spans.push_back({"step", t, t + (rank.rank == 0 ? 10 : 9), -1});
  }
  return r;
}

TEST(BenchMeasure, AStrategysNumbersFromItsRankReports) {
  const Measurement m = measure(two_rank_reports(), 1);
  EXPECT_EQ(m.measured_steps, 2);
  EXPECT_DOUBLE_EQ(m.step_s, 10);
  EXPECT_DOUBLE_EQ(m.compute_s, 6);  // each rank computes 6 s
  EXPECT_DOUBLE_EQ(m.pipeline_s, 10);
  EXPECT_DOUBLE_EQ(m.comm_s, 1);
  EXPECT_DOUBLE_EQ(m.exposed_comm_s, 0);  // rank 0 waits between its forward and backward: that is the bubble
  EXPECT_DOUBLE_EQ(m.optimizer_s, 1);
  // Compute from 0 to 10 on 2 ranks, 12 s busy: 40% idle.
  EXPECT_DOUBLE_EQ(m.bubble, 0.4);
  EXPECT_DOUBLE_EQ(m.comm_bytes, 500);
  EXPECT_DOUBLE_EQ(m.inter_host_bytes, 500);
  EXPECT_DOUBLE_EQ(m.intra_host_bytes, 0);
  EXPECT_DOUBLE_EQ(m.peak_memory_bytes, 2000);
  ASSERT_EQ(m.timeline.size(), 2u);
  EXPECT_DOUBLE_EQ(m.timeline_s, 10);
  // rank 0: forward, communication, idle 3-6, backward.
  ASSERT_EQ(m.timeline[0].size(), 4u);
  EXPECT_EQ(m.timeline[0][2].kind, "idle");
  EXPECT_DOUBLE_EQ(m.timeline[0][2].start_s, 3);
  EXPECT_DOUBLE_EQ(m.timeline[0][2].end_s, 6);
  // rank 1: idle 0-2 before its first forward.
  EXPECT_EQ(m.timeline[1][0].kind, "idle");
  EXPECT_DOUBLE_EQ(m.timeline[1][0].end_s, 2);

  // A reduction after the last backward (rank 0, 10 to 11.5 of each step) is exposed communication.
  auto reducing = two_rank_reports();
  for (auto& step : reducing[0].steps) {
    step.end_s += 2;
    reducing[0].spans.push_back({"communication", step.start_s + 10, step.start_s + 11.5, -1});
  }
  EXPECT_DOUBLE_EQ(measure(reducing, 1).exposed_comm_s, 1.5);
  EXPECT_DOUBLE_EQ(measure(reducing, 1).comm_s, 2.5);

  auto same_host = two_rank_reports();
  same_host[1].host = "algo-1";
  EXPECT_DOUBLE_EQ(measure(same_host, 1).intra_host_bytes, 500);
}

TEST(BenchMeasure, ReportsThatDisagreeOrHaveNoMeasuredStepAreRefused) {
  auto reports = two_rank_reports();
  reports[1].steps.pop_back();
  EXPECT_ERROR(measure(reports, 1), RuntimeFailure, "bench: rank 1 reports 2 steps, rank 0 3");
  EXPECT_ERROR(measure(two_rank_reports(), 3), RuntimeFailure, "3 steps reported, none after the 3 warm-up step(s)");
}

BenchResult result(double measured_step, double predicted_step) {
  BenchResult r;
  r.strategy = bench_strategies(BenchSizes{}, "pipeline_1f1b").front();
  r.measured = measure(two_rank_reports(), 1);
  r.measured.step_s = measured_step;
  r.tokens_per_step = 1000;
  r.predicted.step_s = predicted_step;
  r.predicted.compute_s = r.measured.compute_s;
  r.predicted.pipeline_s = r.measured.pipeline_s;
  r.predicted.allreduce_s = r.measured.exposed_comm_s;
  r.predicted.optimizer_s = r.measured.optimizer_s;
  return r;
}

TEST(BenchResult, ThePredictionErrorAndTheTermThatIsOff) {
  EXPECT_DOUBLE_EQ(result(10, 11).prediction_error(), 0.1);
  EXPECT_EQ(result(10, 11).term_off(), "");
  BenchResult slow_bubble = result(10, 7);
  slow_bubble.predicted.pipeline_s = 7;  // 1 s beyond compute predicted against 4 s measured
  EXPECT_EQ(slow_bubble.term_off(), "bubble is off: measured 4000.0 ms, predicted 1000.0 ms");
  BenchResult slow_compute = result(10, 7);
  slow_compute.predicted.compute_s = 3;
  EXPECT_EQ(slow_compute.term_off(), "compute is off: measured 6000.0 ms, predicted 3000.0 ms");
  BenchResult slow_network = result(10, 14);
  slow_network.predicted.allreduce_s = 5;
  EXPECT_EQ(slow_network.term_off(), "communication is off: measured 0.0 ms, predicted 5000.0 ms");
  BenchResult slow_trainer = result(30, 10);  // 20 s of the step outside compute, communication and optimizer
  EXPECT_EQ(slow_trainer.term_off(),
            "the rest of the step (batches, per-step agreement) is off: measured 19000.0 ms, predicted 0.0 ms");
  const std::string check = render_prediction_check({result(10, 11), slow_network});
  EXPECT_NE(check.find("pipeline_1f1b: predicted 14000.0 ms against 10000.0 ms measured (+40%)"), std::string::npos);
  EXPECT_EQ(render_prediction_check({result(10, 11)}), "every prediction is within 15% of the measured step\n");
}

TEST(BenchFiles, JsonCsvTraceAndChartsHaveEveryStrategyAndRank) {
  const std::vector<BenchResult> results = {result(10, 11), result(20, 19)};
  const auto json = bench_json(results);
  ASSERT_EQ(json["strategies"].size(), 2u);
  for (const char* key : {"name", "measured_step_s", "predicted_step_s", "tokens_per_second", "bubble_measured",
                          "bubble_theory", "comm_bytes", "comm_bytes_intra_host", "comm_bytes_inter_host", "comm_s",
                          "peak_memory_bytes", "prediction_error"})
    EXPECT_TRUE(json["strategies"][0].contains(key)) << key;
  EXPECT_DOUBLE_EQ(json["strategies"][1]["tokens_per_second"].get<double>(), 50);
  const std::string csv = bench_csv(results);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
  EXPECT_EQ(csv.rfind("name,processes,measured_step_s,", 0), 0u);

  const auto trace = chrome_trace("pipeline_1f1b", two_rank_reports());
  std::set<int> tracks;
  for (const auto& e : trace["traceEvents"])
    if (e["ph"] == "X") tracks.insert(e["tid"].get<int>());
  EXPECT_EQ(tracks, (std::set<int>{0, 1}));

  const std::string timeline = timeline_svg(results[0]);
  EXPECT_EQ(timeline.rfind("<?xml", 0), 0u);
  EXPECT_NE(timeline.find(">rank 1</text>"), std::string::npos);
  EXPECT_NE(timeline.find("fill=\"#e8e8e8\""), std::string::npos);  // idle drawn
  EXPECT_NE(throughput_svg(results).find(">pipeline_1f1b</text>"), std::string::npos);
}

}  // namespace
}  // namespace tandem::launcher
