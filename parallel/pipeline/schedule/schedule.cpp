// The dispatcher: validates the spec and asks the named schedule for each
// rank's compute order.

#include "parallel/pipeline/schedule/schedule.h"

#include "engine/error.h"
#include "parallel/pipeline/schedule/compute_order.h"

namespace tandem::pipeline {

namespace {

using ComputeOrder = std::vector<Action> (*)(const ScheduleSpec&, int rank);

struct ScheduleKind {
  const char* name;
  ComputeOrder compute_order;
};

const ScheduleKind kScheduleKinds[] = {
    {"simple", gpipe_compute_order},
    {"interleaved", one_f_one_b_compute_order},
    {"interleaved_virtual", interleaved_virtual_compute_order},
    {"zb_h1", zero_bubble_h1_compute_order},
    {"zb_v", zero_bubble_v_compute_order},
};

const ScheduleKind& find_kind(const std::string& name) {
  std::string accepted;
  for (const ScheduleKind& kind : kScheduleKinds) {
    if (name == kind.name) return kind;
    accepted += std::string(accepted.empty() ? "" : ", ") + "\"" + kind.name + "\"";
  }
  throw UsageError("pipeline=\"" + name + "\" is not one of " + accepted);
}

void check_at_least_one(const char* name, int value) {
  if (value < 1) throw UsageError(std::string(name) + "=" + std::to_string(value) + " must be >= 1");
}

}  // namespace

void check_spec(const ScheduleSpec& spec) {
  find_kind(spec.kind);
  check_at_least_one("partitions", spec.pp_size);
  check_at_least_one("microbatches", spec.microbatches);
  check_at_least_one("virtual_stages", spec.virtual_stages);
  if (spec.kind == "interleaved_virtual") {
    check_interleaved_virtual(spec);
  } else if (spec.kind == "zb_v") {
    check_zero_bubble_v(spec);
  } else if (spec.virtual_stages != 1) {
    throw UsageError("virtual_stages=" + std::to_string(spec.virtual_stages) +
                     " needs pipeline=interleaved_virtual (pipeline=" + spec.kind + " runs one model chunk per rank)");
  }
}

StagePlacement placement_of(const ScheduleSpec& spec) {
  check_spec(spec);
  return spec.kind == "zb_v" ? StagePlacement::v_shape(spec.pp_size)
                             : StagePlacement::looped(spec.pp_size, spec.virtual_stages);
}

Schedule build_schedule(const ScheduleSpec& spec) {
  Schedule schedule{placement_of(spec), {}};
  const ScheduleKind& kind = find_kind(spec.kind);
  for (int rank = 0; rank < spec.pp_size; ++rank) {
    schedule.ranks.push_back(add_communication(kind.compute_order(spec, rank), schedule.placement, rank));
  }
  return schedule;
}

}  // namespace tandem::pipeline
