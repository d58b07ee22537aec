#include "engine/train/resume_step.h"

#include "engine/checkpoint/checkpoint_manifest.h"

namespace tandem {

int find_resume_step(const CheckpointStore& store, bool is_main, bool leads_host,
                     const std::function<void(const std::string&)>& warn) {
  if (!leads_host && !is_main) return kResumeNotChecked;
  if (leads_host) store.remove_partials();
  if (is_main) return store.newest_verified(warn).value_or(kNoCheckpoint);
  const std::vector<int> steps = store.steps();
  for (auto it = steps.rbegin(); it != steps.rend(); ++it)
    if (!checkpoint_problem(store.path(*it))) return *it;
  return kNoCheckpoint;
}

}  // namespace tandem
