#include "parallel/pipeline/schedule/stage_placement.h"

#include "engine/error.h"

namespace tandem::pipeline {

StagePlacement StagePlacement::looped(int pipeline_ranks, int chunks) {
  if (pipeline_ranks < 1 || chunks < 1)
    throw UsageError("stage placement: expected at least one rank and one chunk, got " +
                     std::to_string(pipeline_ranks) + " ranks and " + std::to_string(chunks) + " chunks");
  return StagePlacement(Kind::Looped, pipeline_ranks, chunks);
}

StagePlacement StagePlacement::v_shape(int pipeline_ranks) {
  if (pipeline_ranks < 1)
    throw UsageError("stage placement: expected at least one rank, got " + std::to_string(pipeline_ranks));
  return StagePlacement(Kind::VShape, pipeline_ranks, 2);
}

std::string StagePlacement::name() const { return kind_ == Kind::VShape ? "v_shape" : "looped"; }

int StagePlacement::stage(int rank, int chunk) const {
  if (kind_ == Kind::VShape) return chunk == 0 ? rank : 2 * ranks_ - 1 - rank;
  return chunk * ranks_ + rank;
}

int StagePlacement::rank_of(int stage) const {
  if (kind_ == Kind::VShape) return stage < ranks_ ? stage : 2 * ranks_ - 1 - stage;
  return stage % ranks_;
}

int StagePlacement::chunk_of(int stage) const {
  if (kind_ == Kind::VShape) return stage < ranks_ ? 0 : 1;
  return stage / ranks_;
}

}  // namespace tandem::pipeline
