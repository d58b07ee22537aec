"""PyTorch's side of the schedule-order tests (tests/layout/torch_order_test.cpp):
prints the per-rank compute order that torch.distributed.pipelining computes
for a schedule, one line per rank, in tandem's grid labels (F3 forward, b3
input gradient, w3 weight gradient, B3 full backward, ".1" for the rank's
second chunk).

    torch_schedule_orders.py zb_v P:M [P:M ...]

prints, for each case, a line "p=P m=M" and then the ranks' lines (one Python
start for every case: importing torch takes seconds).

Only the order is asked for: the schedule object is made without stages or a
process group, and the method that writes a rank's order is called directly.
Exit code 77 means "cannot run here" (no torch, or no such schedule in it);
the reason is the last line on stderr, and the test skips with it.
"""
import sys

SKIP = 77

try:
    import torch
    from torch.distributed.pipelining import schedules
except ImportError as e:  # the test skips with this line
    print(f"torch.distributed.pipelining is not importable in this Python ({sys.executable}): {e}", file=sys.stderr)
    sys.exit(SKIP)


def zb_v(p, m):
    """ScheduleZBVZeroBubble: rank r holds stages r and 2p-1-r."""
    cls = getattr(schedules, "ScheduleZBVZeroBubble", None)
    if cls is None:
        print(f"torch {torch.__version__} has no ScheduleZBVZeroBubble", file=sys.stderr)
        sys.exit(SKIP)
    schedule = object.__new__(cls)
    schedule.pp_group_size = p
    schedule.num_stages = 2 * p
    schedule._n_microbatches = m
    return [(r, schedule._calculate_single_rank_operations(r)) for r in range(p)]


LETTER = {"FORWARD": "F", "BACKWARD_INPUT": "b", "BACKWARD_WEIGHT": "w", "FULL_BACKWARD": "B"}


def label(rank, action):
    letter = LETTER[action.computation_type.name]
    chunk = "" if action.stage_index == rank else ".1"
    return f"{letter}{action.microbatch_index}{chunk}"


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("zb_v",):
        print("usage: torch_schedule_orders.py zb_v P:M [P:M ...]", file=sys.stderr)
        sys.exit(2)
    for case in sys.argv[2:]:
        p, m = (int(x) for x in case.split(":"))
        print(f"p={p} m={m}")
        for rank, actions in zb_v(p, m):
            print(" ".join(label(rank, a) for a in actions if a is not None))


main()
