#pragma once
// The schedule as a text grid for `tandem plan`: one row per rank, one column
// per time slot of the simulation, e.g. 1F1B with p=2, m=4, F=1, B=2:
//   rank 0  F0 F1 .  .  B0 B0 F2 B1 B1 F3 B2 B2 .  B3 B3
//   rank 1  .  F0 B0 B0 F1 B1 B1 F2 B2 B2 F3 B3 B3 .  .
// Cells: F3 forward, B3 backward, b3/w3 the zero-bubble input/weight halves,
// ".c" suffix for model chunk c > 0, "." idle. An action lasting k slots fills k cells.

#include <string>

#include "parallel/pipeline/schedule/action.h"
#include "parallel/pipeline/schedule/simulate.h"

namespace tandem::pipeline {

// Simulates with `costs` (read in whole slots) and draws the compute actions.
// Throws RuntimeFailure with the simulator's report if the schedule deadlocks.
std::string render_grid(const Schedule& schedule, const Costs& costs = Costs{});

}  // namespace tandem::pipeline
