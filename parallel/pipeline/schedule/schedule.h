#pragma once
// Building a schedule: ScheduleSpec (SMP's `pipeline`, `partitions`,
// `microbatches`, plus virtual stages) -> one action list per pipeline rank.
//
//   "simple"              GPipe: all forwards, then all backwards (SMP "simple")
//   "interleaved"         1F1B / PipeDream-flush: SMP's backward-first "interleaved"
//   "interleaved_virtual" Megatron's interleaved 1F1B over virtual_stages chunks per rank
//   "zb_h1"               Zero Bubble H1 (Qi et al. 2024): backward split into
//                         BackwardInput and BackwardWeight, W fills the bubbles
//
// Every list has the same shape: a Recv before each Forward on non-first stages,
// a Send after it on non-last stages, a RecvGradient before each
// Backward/BackwardInput on non-last stages, a SendGradient after it on
// non-first stages, and ReduceGradients at the end.

#include <string>

#include "parallel/pipeline/schedule/action.h"

namespace tandem::pipeline {

struct ScheduleSpec {
  std::string kind;  // "simple", "interleaved", "interleaved_virtual", "zb_h1"
  int pp_size = 1;  // pipeline ranks (SMP partitions)
  int microbatches = 1;
  int virtual_stages = 1;  // model chunks per rank; > 1 only for interleaved_virtual
};

// Throws UsageError naming the parameter and the numbers when the spec cannot be
// scheduled. interleaved_virtual needs virtual_stages >= 2 and partitions >= 2
// (any m, not only multiples of p).
void check_spec(const ScheduleSpec& spec);

// check_spec, then the schedule: result[rank] is that pipeline rank's list.
Schedule build_schedule(const ScheduleSpec& spec);

}  // namespace tandem::pipeline
