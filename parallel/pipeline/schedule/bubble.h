#pragma once
// The pipeline bubble for uniform stages.
//
// Definition used throughout (here and in SimulationResult::bubble_fraction):
// the idle share of the whole step, 1 - sum(busy) / (ranks * makespan). Papers
// often quote bubble time relative to the ideal (busy) time instead; the two
// convert as fraction = r / (1 + r), where r is the relative bubble.
//
// theoretical_bubble is the simulator's value for the schedule build_schedule
// gives, under unit costs (forward 1, backward 2, split into input 1 and
// weight 1; no transfer time; chunks of a virtual-stage rank each 1/v of it,
// which scales every action alike and leaves the fraction unchanged). It is
// exact for every (kind, p, m, v) a builder accepts, including the cases the
// closed forms below do not cover.
//
// Closed forms, where one holds (tests/layout compare them with the simulator
// over a grid of (p, m, v)):
//   simple, interleaved   r = (p - 1)/m         fraction (p - 1)/(m + p - 1)
//   interleaved_virtual   r = (p - 1)/(m v)     fraction (p - 1)/(m v + p - 1), m >= p
//   zb_h1                 r = (p - 1)/(3m)      fraction (p - 1)/(3m + p - 1), m >= p
//   zb_v                  r = (p - 1)/(6m)      fraction (p - 1)/(6m + p - 1), m >= 2p - 1
//                         (p=4, m=8: 5.9%; p=2, m=4: 4.0%)
// GPipe and 1F1B hold for any forward/backward costs. With m < p, ZB-H1's
// deferred weight passes no longer fit in the cool-down and interleaved
// chunks wait for the microbatch to come round: both bubbles are larger (ZB-H1
// p=2, m=1: 40%, not 25%), and there is no closed form; the V below 2p - 1
// microbatches runs a cut-down order (zero_bubble_v.cpp), its bubble simulated
// only (never above ZB-H1's at the same p and m: tests/layout).

#include <optional>

#include "parallel/pipeline/schedule/schedule.h"

namespace tandem::pipeline {

// check_spec, then the simulated unit-cost fraction above.
double theoretical_bubble(const ScheduleSpec& spec);

// check_spec, then the closed form where one holds, else nullopt.
std::optional<double> closed_form_bubble(const ScheduleSpec& spec);

}  // namespace tandem::pipeline
