#pragma once
// Finding the rank processes of a running job in /proc, so a stop request
// reaches them directly: Open MPI 4.1's mpirun answers SIGTERM by killing its
// ranks within seconds, which leaves no time to write a checkpoint.
// A rank is a process whose environment holds OMPI_COMM_WORLD_RANK (mpirun
// sets it on what it starts, and children inherit it); of a chain such as
// `/bin/sh -c "./tandem train ..."` -> tandem, only the innermost is signalled,
// so the wrapper shell keeps waiting for its program's exit status.

#include <sys/types.h>

#include <string>
#include <vector>

namespace tandem::launcher {

struct ProcessEntry {
  pid_t pid = 0;
  pid_t parent = 0;
  std::string name;       // /proc/<pid>/comm: the first 15 characters of the program name
  bool is_rank = false;   // OMPI_COMM_WORLD_RANK is in its environment
};

// This machine's live processes now (zombies and entries that vanish while
// reading are skipped).
std::vector<ProcessEntry> list_processes();

// Every process below the roots, then the ranks among them that have no rank
// child: the processes to signal.
std::vector<pid_t> descendants(const std::vector<ProcessEntry>& processes, const std::vector<pid_t>& roots);
std::vector<pid_t> innermost_ranks(const std::vector<ProcessEntry>& processes, const std::vector<pid_t>& roots);

// The processes of the tree rooted at `root` (root included) that have no
// child: where a stop request goes for a program started without mpirun.
std::vector<pid_t> leaves(const std::vector<ProcessEntry>& processes, pid_t root);

// The pids of processes called `name` (as /proc/<pid>/comm shows it).
std::vector<pid_t> processes_named(const std::vector<ProcessEntry>& processes, const std::string& name);

}  // namespace tandem::launcher
