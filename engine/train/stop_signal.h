#pragma once
// SIGTERM (a spot interruption, StopTrainingJob, max_run) asks for a clean
// stop: the trainer saves a checkpoint at the next step boundary and exits.
// SageMaker allows 120 s between SIGTERM and SIGKILL. SIGXFSZ is ignored, so
// a file-size limit surfaces as a write error.

namespace tandem {

void install_stop_handler();
bool stop_requested();
void request_stop();  // what the handler does; also for tests

}  // namespace tandem
