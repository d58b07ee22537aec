#pragma once
// How long any wait on a peer may last before it is reported as a hang.

#include <chrono>

namespace tandem::comm {

// TANDEM_COMM_TIMEOUT_SECONDS (a positive number, fractions allowed) or 300 s.
// Read whenever a communicator is created; Communicator::set_timeout overrides it.
// Throws UsageError when the variable is set to something else.
std::chrono::milliseconds default_timeout();

}  // namespace tandem::comm
