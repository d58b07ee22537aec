#pragma once
// Building a schedule: ScheduleSpec (SMP's `pipeline`, `partitions`,
// `microbatches`, plus virtual stages) -> one action list per pipeline rank.
//
//   "simple"              GPipe: all forwards, then all backwards (SMP "simple")
//   "interleaved"         1F1B / PipeDream-flush: SMP's backward-first "interleaved"
//   "interleaved_virtual" Megatron's interleaved 1F1B over virtual_stages chunks per rank
//   "zb_h1"               Zero Bubble H1 (Qi et al. 2024): backward split into
//                         BackwardInput and BackwardWeight, W fills the bubbles
//   "zb_v"                the V-shaped zero-bubble schedule (Qi et al. 2024 §6,
//                         PyTorch's ScheduleZBVZeroBubble): two chunks per rank
//                         in the V placement (stage_placement.h), split backward
//
// Every list has the same shape: a Recv before each Forward on non-first stages,
// a Send after it on non-last stages, a RecvGradient before each
// Backward/BackwardInput on non-last stages, a SendGradient after it on
// non-first stages, and ReduceGradients at the end. Between two stages on the
// same rank (the V's turn) there is no message: the rank hands the tensor over
// itself.

#include <string>

#include "parallel/pipeline/schedule/action.h"

namespace tandem::pipeline {

struct ScheduleSpec {
  std::string kind;  // "simple", "interleaved", "interleaved_virtual", "zb_h1", "zb_v"
  int pp_size = 1;  // pipeline ranks (SMP partitions)
  int microbatches = 1;
  int virtual_stages = 1;  // model chunks per rank; > 1 for interleaved_virtual, 2 for zb_v
};

// Throws UsageError naming the parameter and the numbers when the spec cannot be
// scheduled. interleaved_virtual needs virtual_stages >= 2 and partitions >= 2
// (any m, not only multiples of p).
void check_spec(const ScheduleSpec& spec);

// check_spec, then the schedule: result[rank] is that pipeline rank's list.
Schedule build_schedule(const ScheduleSpec& spec);

// check_spec, then where the spec's stages live: v_shape for zb_v, looped
// otherwise. The partitioner's stage list and the executor follow it.
StagePlacement placement_of(const ScheduleSpec& spec);

}  // namespace tandem::pipeline
