#include "parallel/comm/runtime.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "engine/error.h"
#include "parallel/comm/mpi_communicator.h"
#include "parallel/comm/mpi_datatypes.h"
#include "parallel/comm/mpi_thread.h"
#include "parallel/comm/timeout.h"

namespace tandem::comm {

namespace {

struct Runtime {
  ProcessInfo info;
  std::unique_ptr<MpiCommunicator> world;  // null after finalize()
  bool owns_mpi = false;                   // we called MPI_Init, so we call MPI_Finalize
};

std::mutex g_mutex;  // serialises init() and finalize()
// Set once by init() and never freed: error messages on any thread read it,
// and a process may exit with the MPI thread still running.
std::atomic<Runtime*> g_runtime{nullptr};

// SageMaker names hosts algo-1, algo-2, ..., and errors should name the host
// the user knows. Inside a container the toolkit shims gethostname() to
// return it; but its mpirun forwards the master's SM_CURRENT_HOST to every
// rank, so on a worker that variable names the wrong host. Local mode's
// emulated hosts share this machine's name, and there `tandem launch` sets
// SM_CURRENT_HOST for each. So: the real name when it is one of SM_HOSTS,
// else SM_CURRENT_HOST, else the real name.
std::string this_hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) std::snprintf(name, sizeof name, "unknown");
  const char* hosts = std::getenv("SM_HOSTS");  // ["algo-1","algo-2"]
  if (hosts != nullptr && std::strstr(hosts, ("\"" + std::string(name) + "\"").c_str()) != nullptr) return name;
  if (const char* sm = std::getenv("SM_CURRENT_HOST"); sm && *sm) return sm;
  return name;
}

// Open MPI's launcher exports the local rank; MPI itself can tell otherwise.
bool local_rank_from_environment(ProcessInfo& info) {
  const char* rank = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK");
  const char* size = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  if (rank == nullptr || size == nullptr) return false;
  char* rank_end = nullptr;
  char* size_end = nullptr;
  const long r = std::strtol(rank, &rank_end, 10);
  const long s = std::strtol(size, &size_end, 10);
  if (*rank_end != '\0' || *size_end != '\0' || s < 1 || r < 0 || r >= s) return false;
  info.local_rank = int(r);
  info.local_size = int(s);
  return true;
}

// On the MPI thread: this process's rank and count among those on its host.
std::pair<int, int> shared_memory_rank_and_size(MPI_Comm world) {
  MPI_Comm host;
  check_mpi(MPI_Comm_split_type(world, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &host),
            "MPI_Comm_split_type");
  std::pair<int, int> local;
  check_mpi(MPI_Comm_rank(host, &local.first), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(host, &local.second), "MPI_Comm_size");
  check_mpi(MPI_Comm_free(&host), "MPI_Comm_free");
  return local;
}

void local_rank_from_shared_memory_group(MpiCommunicator& world, ProcessInfo& info) {
  auto local = std::make_shared<std::pair<int, int>>();
  const MPI_Comm comm = world.handle();
  auto work = world.submit("shared-memory split", [=]() {
    *local = shared_memory_rank_and_size(comm);
    return Posted{};
  });
  work->wait();
  info.local_rank = local->first;
  info.local_size = local->second;
}

std::vector<std::string> gather_hostnames(Communicator& world, const std::string& hostname) {
  constexpr std::size_t kWidth = 256;
  std::vector<char> mine(kWidth, '\0');
  hostname.copy(mine.data(), kWidth - 1);
  std::vector<char> all(kWidth * std::size_t(world.size()));
  world.allgather(mine.data(), all.data(), kWidth, DType::UInt8);
  std::vector<std::string> hosts;
  for (int r = 0; r < world.size(); ++r) hosts.emplace_back(all.data() + r * kWidth);
  return hosts;
}

// On the MPI thread: MPI_Init (unless someone did), and the world's copy.
void start_mpi(Runtime& r) {
  int already = 0;
  check_mpi(MPI_Initialized(&already), "MPI_Initialized");
  int provided = MPI_THREAD_SINGLE;
  if (already) {
    check_mpi(MPI_Query_thread(&provided), "MPI_Query_thread");
  } else {
    check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided), "MPI_Init_thread");
    r.owns_mpi = true;
  }
  if (provided < MPI_THREAD_SERIALIZED) {
    throw RuntimeFailure("MPI provides thread level " + std::to_string(provided) +
                         " but tandem needs MPI_THREAD_SERIALIZED or higher (its communication "
                         "thread makes the MPI calls); use an MPI built with thread support");
  }
  MPI_Comm world;
  check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &world), "MPI_Comm_dup");
  r.world = MpiCommunicator::adopt(world);
  create_half_ops();
}

Runtime& runtime(const char* caller) {
  Runtime* r = g_runtime.load();
  if (r == nullptr) {
    throw UsageError(std::string(caller) +
                     ": the communication layer is not initialised: call "
                     "tandem::comm::init() first");
  }
  return *r;
}

}  // namespace

void init() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (Runtime* r = g_runtime.load()) {
    if (r->world) return;
    throw UsageError(
        "tandem::comm::init() after finalize(): MPI cannot start twice in one process");
  }
  // Never freed, not even when start-up fails: after a timeout the MPI thread
  // may still be writing it.
  Runtime* r = new Runtime();
  auto started = start_mpi_thread().submit("MPI start-up", default_timeout(), [r]() {
    start_mpi(*r);
    return Posted{};
  });
  started->wait();

  ProcessInfo& info = r->info;
  info.world_rank = r->world->rank();
  info.world_size = r->world->size();
  info.hostname = this_hostname();
  info.host_of_rank = gather_hostnames(*r->world, info.hostname);
  if (!local_rank_from_environment(info)) local_rank_from_shared_memory_group(*r->world, info);
  g_runtime.store(r);
}

void finalize() {
  std::lock_guard<std::mutex> lock(g_mutex);
  Runtime* r = g_runtime.load();
  if (r == nullptr || !r->world) return;
  r->world.reset();  // queues the free of the world's handle
  const bool owns_mpi = r->owns_mpi;
  const std::chrono::milliseconds timeout = default_timeout();
  const bool stopped = mpi_thread().stop(
      [owns_mpi] {
        free_half_ops();
        if (owns_mpi) check_mpi(MPI_Finalize(), "MPI_Finalize");
      },
      timeout);
  if (!stopped) {
    abort_job("finalize: operations still pending after " + format_seconds(timeout) + ": " +
              mpi_thread().pending());
  }
}

bool initialized() {
  Runtime* r = g_runtime.load();
  return r != nullptr && r->world != nullptr;
}

const ProcessInfo& process_info() { return runtime("process_info").info; }

Communicator& world() {
  Runtime& r = runtime("world");
  if (!r.world) throw UsageError("world: tandem::comm::finalize() has already run");
  return *r.world;
}

std::string process_label() {
  Runtime* r = g_runtime.load();
  if (r == nullptr)
    return "process " + std::to_string(getpid()) + " (host " + this_hostname() + ")";
  return "rank " + std::to_string(r->info.world_rank) + " (host " + r->info.hostname + ")";
}

void abort_job(const std::string& reason) {
  // Errors from this layer already start with the label; say it once.
  const std::string label = process_label();
  const std::string why = reason.compare(0, label.size() + 2, label + ": ") == 0
                              ? reason.substr(label.size() + 2)
                              : reason;
  std::fprintf(stderr, "tandem: %s: aborting the job: %s\n", label.c_str(), why.c_str());
  std::fflush(stderr);
  int started = 0;
  int finished = 0;
  MPI_Initialized(&started);  // both callable from any thread at any time
  MPI_Finalized(&finished);
  if (started && !finished) MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);
}

}  // namespace tandem::comm
