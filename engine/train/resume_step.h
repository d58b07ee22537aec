#pragma once
// Where a rank's run resumes: the newest checkpoint in its host's output_dir
// that verifies. Found by each host before the ranks agree on it
// (run/start_agreement.h), so a host that sees other checkpoints than the
// main rank's is named at start instead of failing in the middle of a load.

#include "engine/checkpoint/checkpoint_store.h"

#include <functional>
#include <string>

namespace tandem {

// No checkpoint verifies: the run starts at step 0.
inline constexpr int kNoCheckpoint = -1;
// This rank did not look: its host's first rank answers for it.
inline constexpr int kResumeNotChecked = -2;

// The first rank of each host removes the partial folders a crash left, then
// looks. The main rank verifies and sets damaged folders aside (warning
// through `warn`); it is the only rank that renames, so hosts sharing one
// folder do not race. The first rank of every other host verifies without
// changing anything. Every other rank returns kResumeNotChecked.
int find_resume_step(const CheckpointStore& store, bool is_main, bool leads_host,
                     const std::function<void(const std::string&)>& warn);

}  // namespace tandem
