#pragma once
// SIGTERM (a spot interruption, StopTrainingJob, `docker stop`) and SIGINT
// (Ctrl-C) to the launcher mean "stop the job cleanly": the launcher passes
// the request to every rank, which saves a checkpoint and exits. The handler
// only records the signal; the supervising loop acts on it.

namespace tandem::launcher {

// Installs the handlers for SIGTERM and SIGINT (idempotent).
void catch_stop_signals();
// The first stop signal received, 0 while none.
int stop_signal_received();

}  // namespace tandem::launcher
