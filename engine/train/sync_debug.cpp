#include "engine/train/sync_debug.h"

#include "engine/error.h"

#include <cstdlib>
#include <string>

#ifdef TANDEM_HAVE_CUDA
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace tandem {

std::optional<SyncDebug> sync_debug_from_environment() {
  const char* value = std::getenv("TANDEM_CUDA_SYNC_DEBUG");
  if (value == nullptr || *value == '\0') return std::nullopt;
  const std::string v(value);
  if (v == "warn") return SyncDebug::Warn;
  if (v == "error") return SyncDebug::Error;
  throw UsageError("TANDEM_CUDA_SYNC_DEBUG=\"" + v + "\": expected warn or error");
}

SyncDebugScope::SyncDebugScope(std::optional<SyncDebug> level) {
#ifdef TANDEM_HAVE_CUDA
  if (!level) return;
  active_ = true;
  c10::cuda::warning_state().set_sync_debug_mode(*level == SyncDebug::Error ? c10::cuda::SyncDebugMode::L_ERROR
                                                                            : c10::cuda::SyncDebugMode::L_WARN);
#else
  (void)level;
#endif
}

SyncDebugScope::~SyncDebugScope() {
#ifdef TANDEM_HAVE_CUDA
  if (active_) c10::cuda::warning_state().set_sync_debug_mode(c10::cuda::SyncDebugMode::L_DISABLED);
#endif
}

}  // namespace tandem
