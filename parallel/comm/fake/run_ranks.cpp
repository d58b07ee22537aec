#include "parallel/comm/fake/run_ranks.h"

#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tandem::comm::fake {

void run_ranks(Hub& hub, const RankBody& body) {
  std::mutex mu;
  std::exception_ptr first;
  std::vector<std::thread> threads;
  threads.reserve(hub.size());
  for (int rank = 0; rank < hub.size(); ++rank) {
    threads.emplace_back([&, rank] {
      try {
        std::unique_ptr<Communicator> world = hub.world(rank);
        body(rank, *world);
      } catch (...) {
        std::string what = "unknown exception";
        try {
          throw;
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        {
          std::lock_guard<std::mutex> lock(mu);
          if (!first) first = std::current_exception();
        }
        hub.abort("the job was aborted because fake rank " + std::to_string(rank) + " failed: " + what);
      }
    });
  }
  for (auto& t : threads) t.join();
  if (first) std::rethrow_exception(first);
}

void run_ranks(int size, const RankBody& body) {
  Hub hub(size);
  run_ranks(hub, body);
}

}  // namespace tandem::comm::fake
