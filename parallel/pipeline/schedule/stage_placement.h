#pragma once
// Where the global stages of a pipeline live: which (rank, chunk) runs stage s.
// Every part of tandem that needs the answer (builders, validator, simulator,
// executor, partition printout, cluster model) asks this type, so a schedule
// with another placement changes nothing else.
//
//   looped   chunk c of rank r is stage c*p + r (Megatron's interleaving): a
//            microbatch goes round the ranks v times, 0 1 .. p-1 0 1 ..
//   v_shape  two chunks; rank r holds stages r and 2p-1-r (the zero-bubble V,
//            Qi et al. 2024 §6; PyTorch's "v" stage-to-rank mapping): a
//            microbatch goes down the ranks and back up, 0 1 .. p-1 p-1 .. 1 0,
//            so the first and the last stage share rank 0 and stages p-1 and p
//            share rank p-1 (their hand-off is local, no message).

#include <string>

namespace tandem::pipeline {

class StagePlacement {
 public:
  enum class Kind { Looped, VShape };

  StagePlacement() = default;  // one rank, one chunk
  static StagePlacement looped(int pipeline_ranks, int chunks);
  static StagePlacement v_shape(int pipeline_ranks);  // always two chunks

  Kind kind() const { return kind_; }
  std::string name() const;  // "looped" or "v_shape"
  int pipeline_ranks() const { return ranks_; }
  int chunks() const { return chunks_; }
  int stages() const { return ranks_ * chunks_; }
  int last_stage() const { return stages() - 1; }

  // chunk in [0, chunks()), rank in [0, pipeline_ranks()), stage in [0, stages()).
  int stage(int rank, int chunk) const;
  int rank_of(int stage) const;
  int chunk_of(int stage) const;
  // The two stages run on one rank: a hand-off between them is local.
  bool same_rank(int stage_a, int stage_b) const { return rank_of(stage_a) == rank_of(stage_b); }

  bool operator==(const StagePlacement& other) const {
    return kind_ == other.kind_ && ranks_ == other.ranks_ && chunks_ == other.chunks_;
  }
  bool operator!=(const StagePlacement& other) const { return !(*this == other); }

 private:
  StagePlacement(Kind kind, int ranks, int chunks) : kind_(kind), ranks_(ranks), chunks_(chunks) {}

  Kind kind_ = Kind::Looped;
  int ranks_ = 1;
  int chunks_ = 1;
};

}  // namespace tandem::pipeline
