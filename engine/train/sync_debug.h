#pragma once
// Proof that a steady-state step never waits for the GPU: with
// TANDEM_CUDA_SYNC_DEBUG=error (or warn) in the environment, the trainer runs
// every step that logs, evaluates or saves nothing under CUDA's sync-debug
// mode (torch.cuda.set_sync_debug_mode), so any synchronising call there
// (.item(), a blocking copy) fails the run (or warns). scripts/gpu_check.sh
// uses it; on the CPU it has no effect and says so.

#include <optional>

namespace tandem {

enum class SyncDebug { Warn, Error };

// From TANDEM_CUDA_SYNC_DEBUG; UsageError for a value other than warn or error.
std::optional<SyncDebug> sync_debug_from_environment();

// CUDA's sync-debug mode at `level` for the scope's lifetime (nothing when level is empty).
class SyncDebugScope {
 public:
  explicit SyncDebugScope(std::optional<SyncDebug> level);
  ~SyncDebugScope();
  SyncDebugScope(const SyncDebugScope&) = delete;
  SyncDebugScope& operator=(const SyncDebugScope&) = delete;

 private:
  bool active_ = false;
};

}  // namespace tandem
