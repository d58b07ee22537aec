#pragma once
// Internal to build_schedule. Each schedule only decides the order of compute
// actions (Forward, Backward, BackwardInput, BackwardWeight) on one rank;
// add_communication then inserts the sends and receives every schedule needs
// in the same places, so no schedule can get them wrong on its own.

#include <vector>

#include "parallel/pipeline/schedule/action.h"
#include "parallel/pipeline/schedule/schedule.h"

namespace tandem::pipeline {

inline Action compute_action(ActionKind kind, int microbatch, int chunk = 0) {
  return Action{kind, microbatch, chunk, -1};
}

std::vector<Action> gpipe_compute_order(const ScheduleSpec& spec, int rank);
std::vector<Action> one_f_one_b_compute_order(const ScheduleSpec& spec, int rank);
std::vector<Action> interleaved_virtual_compute_order(const ScheduleSpec& spec, int rank);
std::vector<Action> zero_bubble_h1_compute_order(const ScheduleSpec& spec, int rank);
std::vector<Action> zero_bubble_v_compute_order(const ScheduleSpec& spec, int rank);

// Throw UsageError for (p, m, v) the interleaved virtual / V schedule does not support.
void check_interleaved_virtual(const ScheduleSpec& spec);
void check_zero_bubble_v(const ScheduleSpec& spec);

// The compute order plus Recv/Send around it (none between two stages of the
// same rank) and ReduceGradients at the end.
std::vector<Action> add_communication(const std::vector<Action>& compute_order, const StagePlacement& placement,
                                      int rank);

}  // namespace tandem::pipeline
