#pragma once
// Where one rank sits in the job: its host and slot there, its pipeline stage
// (pp_rank of pp_size, SMP's `partitions`) and its model replica (dp_rank of
// dp_size). The one struct for these facts: the layout computes it
// (parallel/topology/layout.h), the process groups carry it, the trainer reads
// its slice of every global batch from dp_rank and dp_size.

namespace tandem {

struct RankCoordinates {
  int rank = 0;
  int host_index = 0;  // 0-based; the host is named host_name(host_index)
  int local_rank = 0;  // slot on the host: mpirun -map-by slot fills hosts in order
  int pp_rank = 0;
  int dp_rank = 0;
  int pp_size = 1;
  int dp_size = 1;

  bool operator==(const RankCoordinates& other) const {
    return rank == other.rank && host_index == other.host_index && local_rank == other.local_rank &&
           pp_rank == other.pp_rank && dp_rank == other.dp_rank && pp_size == other.pp_size &&
           dp_size == other.dp_size;
  }
};

}  // namespace tandem
