#pragma once
// The validator: the rules a schedule must obey for the executor to compute the
// right gradients. It looks at the lists only (no timing); the simulator checks
// that they also finish.

#include "parallel/pipeline/schedule/action.h"
#include "parallel/pipeline/schedule/schedule.h"

#include <optional>
#include <string>

namespace tandem::pipeline {

// Checks, and throws RuntimeFailure naming the rank, the action index and the
// problem for the first rule broken, e.g.
//   rank 1, action 0 (RecvActivation(microbatch 0, chunk 0, from stage 0)): no matching SendActivation on rank 0
// Rules: one list per pipeline rank; every (stage, microbatch) runs Forward once
// and then either Backward once or BackwardInput then BackwardWeight once each,
// on the rank that owns the stage; a Recv comes before the compute that
// consumes it and a Send after the compute that produces it; every Send matches
// exactly one Recv on the peer (same kind, microbatch and stages) and vice versa;
// between two stages of one rank there is no message, and the rank's list runs
// the producing stage's compute first; the placement is the one the spec needs;
// the lists end with ReduceGradients and hold it nowhere else.
void validate(const Schedule& schedule, const ScheduleSpec& spec);

// Where a rank receives messages from one peer in another order than the peer
// sends them, the first such receive, described; nothing when every pair of
// ranks exchanges in order. NCCL matches messages between two ranks by order
// alone; the executor's channels (ordered_channels.h) take early messages
// first and keep them, so such schedules still run, holding those messages.
std::optional<std::string> first_out_of_order_receive(const Schedule& schedule, const ScheduleSpec& spec);

}  // namespace tandem::pipeline
