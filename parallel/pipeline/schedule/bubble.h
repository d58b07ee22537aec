#pragma once
// The pipeline bubble by formula, for uniform stages.
//
// Definition used throughout (here and in SimulationResult::bubble_fraction):
// the idle share of the whole step, 1 - sum(busy) / (ranks * makespan). Papers
// often quote bubble time relative to the ideal (busy) time instead; the two
// convert as fraction = r / (1 + r), where r is the relative bubble:
//   simple, interleaved   r = (p - 1)/m         fraction (p - 1)/(m + p - 1)
//   interleaved_virtual   r = (p - 1)/(m v)     fraction (p - 1)/(m v + p - 1)
//   zb_h1                 r = (p - 1)/(3m)      fraction (p - 1)/(3m + p - 1)
// GPipe and 1F1B hold for any forward/backward costs; virtual stages assume
// each chunk costs 1/v of a stage; ZB-H1 assumes forward = backward_input =
// backward_weight and m >= p (with m < p the deferred weight passes no longer
// fit in the cool-down and the simulated bubble is larger).

#include "parallel/pipeline/schedule/schedule.h"

namespace tandem::pipeline {

// check_spec, then the fraction above.
double theoretical_bubble(const ScheduleSpec& spec);

}  // namespace tandem::pipeline
