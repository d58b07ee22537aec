// The V-shaped zero-bubble schedule and the stage placement it needs: where
// stages live, validity and bubble over a grid of (p, m), the local hand-off at
// the V's turn, and what the validator refuses.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/error.h"
#include "parallel/pipeline/schedule/bubble.h"
#include "parallel/pipeline/schedule/grid.h"
#include "parallel/pipeline/schedule/schedule.h"
#include "parallel/pipeline/schedule/simulate.h"
#include "parallel/pipeline/schedule/validate.h"
#include "tests/common/error_matchers.h"

namespace tandem::pipeline {
namespace {

std::string name_of(int p, int m) { return "zb_v p=" + std::to_string(p) + " m=" + std::to_string(m); }

TEST(StagePlacement, LoopedIsChunkTimesRanksPlusRank) {
  for (int p = 1; p <= 5; ++p)
    for (int v = 1; v <= 3; ++v) {
      const StagePlacement looped = StagePlacement::looped(p, v);
      for (int r = 0; r < p; ++r)
        for (int c = 0; c < v; ++c) {
          const int s = looped.stage(r, c);
          EXPECT_EQ(s, c * p + r);
          EXPECT_EQ(looped.rank_of(s), r);
          EXPECT_EQ(looped.chunk_of(s), c);
        }
    }
}

TEST(StagePlacement, VShapeGivesRankRStagesRAndTwoPMinusOneMinusR) {
  const StagePlacement v = StagePlacement::v_shape(4);
  EXPECT_EQ(v.stages(), 8);
  std::vector<int> ranks;
  for (int s = 0; s < v.stages(); ++s) ranks.push_back(v.rank_of(s));
  EXPECT_EQ(ranks, (std::vector<int>{0, 1, 2, 3, 3, 2, 1, 0}));
  for (int r = 0; r < 4; ++r) {
    EXPECT_EQ(v.stage(r, 0), r);
    EXPECT_EQ(v.stage(r, 1), 7 - r);
    EXPECT_EQ(v.chunk_of(v.stage(r, 1)), 1);
  }
  EXPECT_TRUE(v.same_rank(0, 7));  // embedding and head on rank 0
  EXPECT_TRUE(v.same_rank(3, 4));  // the turn
  EXPECT_FALSE(v.same_rank(2, 3));
  EXPECT_EQ(placement_of({"zb_v", 4, 8, 2}), v);
  EXPECT_EQ(placement_of({"interleaved_virtual", 4, 8, 2}), StagePlacement::looped(4, 2));
}

// Over p = 1..6, m = 1..12: valid, deadlock-free, the bubble the printed
// theory gives, never above ZB-H1's, the closed form from m = 2p - 1 on, and
// at most 2p chunk activations (p stages' worth, 1F1B's rank 0) on any rank.
// Its messages between two ranks are not in one order (activations going down
// and gradients coming up the V share each pair of ranks): the executor's
// channels hold the early ones (ordered_channels.h).
TEST(ZeroBubbleV, ValidDeadlockFreeAndAtMostZeroBubbleH1OverTheGrid) {
  for (int p = 1; p <= 6; ++p)
    for (int m = 1; m <= 12; ++m) {
      const ScheduleSpec spec{"zb_v", p, m, 2};
      const Schedule schedule = build_schedule(spec);
      EXPECT_NO_THROW(validate(schedule, spec)) << name_of(p, m);
      const SimulationResult result = simulate(schedule);
      ASSERT_FALSE(result.deadlocked()) << name_of(p, m) << ": " << result.deadlock;
      EXPECT_NEAR(theoretical_bubble(spec), result.bubble_fraction, 1e-12) << name_of(p, m);
      EXPECT_LE(result.bubble_fraction, theoretical_bubble({"zb_h1", p, m, 1}) + 1e-12) << name_of(p, m);
      const auto closed = closed_form_bubble(spec);
      EXPECT_EQ(closed.has_value(), m >= 2 * p - 1) << name_of(p, m);
      if (closed) {
        EXPECT_NEAR(*closed, result.bubble_fraction, 1e-12) << name_of(p, m);
      }
      for (int r = 0; r < p; ++r) EXPECT_LE(result.peak_stashed[r], std::min(2 * p, 2 * m)) << name_of(p, m);
    }
}

TEST(ZeroBubbleV, BubbleOfTheIssueAgainstZeroBubbleH1) {
  // Unit costs, idle share of the step: p=4, m=8 is 3 of 51 slots (5.9%, ZB-H1
  // 11.1%); p=2, m=4 is 1 of 25 (4.0%, ZB-H1 7.7%).
  EXPECT_DOUBLE_EQ(theoretical_bubble({"zb_v", 4, 8, 2}), 3.0 / 51);
  EXPECT_DOUBLE_EQ(theoretical_bubble({"zb_h1", 4, 8, 1}), 3.0 / 27);
  EXPECT_NEAR(theoretical_bubble({"zb_v", 2, 4, 2}), 1.0 / 25, 1e-12);
  EXPECT_NEAR(theoretical_bubble({"zb_h1", 2, 4, 1}), 1.0 / 13, 1e-12);
  // Same activation memory as ZB-H1: 2p half-stage chunks against p stages.
  const auto v_peaks = simulate(build_schedule({"zb_v", 4, 8, 2})).peak_stashed;
  const auto h1_peaks = simulate(build_schedule({"zb_h1", 4, 8, 1})).peak_stashed;
  for (int r = 0; r < 4; ++r) EXPECT_EQ(v_peaks[r], 2 * h1_peaks[r]) << "rank " << r;
}

// Stages p-1 and p share rank p-1 and stages 0 and 2p-1 rank 0: no message
// between two stages of one rank, every other boundary one each way.
TEST(ZeroBubbleV, TheTurnIsHandedOverWithoutMessages) {
  const int p = 3, m = 4;
  const Schedule schedule = build_schedule({"zb_v", p, m, 2});
  int messages = 0;
  for (int rank = 0; rank < p; ++rank)
    for (const Action& a : schedule[rank]) {
      if (!is_send(a.kind) && !is_recv(a.kind)) continue;
      ++messages;
      EXPECT_NE(schedule.placement.rank_of(a.peer_stage), rank) << describe(a) << " on rank " << rank;
    }
  // 2p - 1 boundaries, one of them local: 2(p - 1) cross ranks, each with an
  // activation and a gradient per microbatch, counted at both ends.
  EXPECT_EQ(messages, 2 * (p - 1) * 2 * m * 2);
  const std::vector<Action>& turn = schedule[p - 1];
  const auto first_chunk1 = std::find_if(turn.begin(), turn.end(), [](const Action& a) { return a.chunk == 1; });
  ASSERT_NE(first_chunk1, turn.end());
  EXPECT_EQ(first_chunk1->kind, ActionKind::Forward);  // right after chunk 0's forward, nothing received
  EXPECT_EQ((first_chunk1 - 1)->kind, ActionKind::Forward);
}

TEST(ZeroBubbleV, ValidatorRefusesAMessageToItsOwnRankAndTheWrongPlacement) {
  const ScheduleSpec spec{"zb_v", 2, 2, 2};
  Schedule schedule = build_schedule(spec);
  // Rank 1 runs stages 1 and 2: a send from stage 1 to stage 2 would go to itself.
  auto forward = std::find_if(schedule[1].begin(), schedule[1].end(),
                              [](const Action& a) { return a.kind == ActionKind::Forward && a.chunk == 0; });
  schedule[1].insert(forward + 1, Action{ActionKind::SendActivation, forward->microbatch, 0, 2});
  EXPECT_ERROR(validate(schedule, spec), RuntimeFailure, "stage 2 is on the same rank: the hand-off is local, no message");

  // The V's chunk 1 forward before chunk 0's on the turning rank.
  Schedule early = build_schedule(spec);
  auto& turn = early[1];
  auto chunk0 = std::find_if(turn.begin(), turn.end(), [](const Action& a) { return a.kind == ActionKind::Forward; });
  auto chunk1 = std::find_if(turn.begin(), turn.end(),
                             [](const Action& a) { return a.kind == ActionKind::Forward && a.chunk == 1; });
  std::iter_swap(chunk0, chunk1);
  EXPECT_ERROR(validate(early, spec), RuntimeFailure, "Forward before the Forward of stage 1 on the same rank");

  const ScheduleSpec looped{"interleaved_virtual", 2, 2, 2};
  EXPECT_ERROR(validate(build_schedule(spec), looped), RuntimeFailure,
               "schedule places its stages v_shape over 2 ranks x 2 chunks; pipeline=interleaved_virtual needs "
               "looped over 2 x 2");
}

TEST(ZeroBubbleV, RefusesOtherChunkCounts) {
  for (int v : {1, 3})
    EXPECT_ERROR(build_schedule({"zb_v", 2, 4, v}), UsageError,
                 "virtual_stages=" + std::to_string(v) + ": pipeline=zb_v runs exactly two model chunks per rank");
}

TEST(ZeroBubbleV, GridDrawsBothChunks) {
  // p=2, m=2, F = b = w = 1 slot: rank 1 turns the V (F0 then F0.1 at once).
  EXPECT_EQ(render_grid(build_schedule({"zb_v", 2, 2, 2})),
            "rank 0  F0   F1   .    F0.1 b0.1 w0.1 F1.1 b1.1 w1.1 b0   w0   .    b1   w1\n"
            "rank 1  .    F0   F0.1 F1   F1.1 b0.1 w0.1 b0   w0   b1.1 w1.1 b1   w1   .\n");
}

}  // namespace
}  // namespace tandem::pipeline
