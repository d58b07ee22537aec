#pragma once
// What `tandem bench` prints and writes, as text (the command writes each
// file atomically): the table, bench.json, bench.csv, one Chrome trace per
// strategy (one track per rank; Perfetto or chrome://tracing open it), and
// SVG charts that any browser opens: throughput bars, and one per-rank
// timeline of a step per strategy.

#include "launcher/bench/bench_result.h"

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace tandem::launcher {

// One line per strategy, measured beside predicted.
std::string render_bench_table(const std::vector<BenchResult>& results);
// One line per strategy off by more than the tolerance, naming the term; or a line saying all are within.
std::string render_prediction_check(const std::vector<BenchResult>& results);

nlohmann::json bench_json(const std::vector<BenchResult>& results);
std::string bench_csv(const std::vector<BenchResult>& results);

// Every span of every rank, microseconds from the first; pid 0, tid = rank.
nlohmann::json chrome_trace(const std::string& strategy, const std::vector<RankReport>& ranks);

std::string throughput_svg(const std::vector<BenchResult>& results);
std::string timeline_svg(const BenchResult& result);

}  // namespace tandem::launcher
