#pragma once
// One rank's activity report for `tandem bench` (`tandem train
// --bench_report FOLDER`): where the rank sits, every step's span and bytes
// sent per peer, the spans of its forward, backward, weight-gradient,
// communication and optimizer work (common/activity/activity_log.h), and its
// peak resident memory. Read back by launcher/bench/rank_report.h.

#include "common/rank_coordinates.h"

#include <string>

namespace tandem::run {

// Starts recording when `folder` is not empty; call before the first step.
void start_bench_report(const std::string& folder);

// Writes <folder>/rank-<rank>.json atomically. `host` is the host's name as
// MPI reports it, so bytes between ranks of one machine count as intra-host.
void write_bench_report(const std::string& folder, const RankCoordinates& me, int world_size, const std::string& host);

}  // namespace tandem::run
