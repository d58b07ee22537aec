#pragma once
// Waiting for another host to be up: the master waits for every worker's sshd
// (port 22) before mpirun reaches them over ssh, a worker for the master's,
// as the training toolkit does (docs/sagemaker-contract.md §3.8), polling, but
// for a bounded time and with a message naming who never answered.

#include <chrono>
#include <string>
#include <vector>

namespace tandem::launcher {

// One attempt: does host:port accept a TCP connection within `timeout`?
bool accepts_connections(const std::string& host, int port, std::chrono::milliseconds timeout);

// Polls until every host accepts on port; RuntimeFailure after `timeout`
// naming the hosts that never did and `what` they were waited for; also
// RuntimeFailure when the launcher is asked to stop meanwhile.
void wait_until_accepting(const std::vector<std::string>& hosts, int port, std::chrono::milliseconds timeout,
                          std::chrono::milliseconds poll, const std::string& what);

}  // namespace tandem::launcher
