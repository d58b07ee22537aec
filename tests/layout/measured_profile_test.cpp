// The cluster model on a measured profile (parallel/cluster_model/
// measured_profile.h), as `tandem bench` uses it, on a fixed synthetic cost
// profile: every number below is computed by hand, nothing is timed.
//
// The profile: gpt-mini's 7 layers (embedding, 4 blocks, norm, head) at 64
// tokens per microbatch; blocks and head take F = 1 ms forward, B = 2 ms
// backward (1 ms input half, 1 ms weight half), embedding and norm 0.1 ms
// each way. The partition weights make two stages [embedding, block 0,
// block 1] and [block 2, block 3, norm, head].

#include <gtest/gtest.h>

#include "engine/error.h"
#include "parallel/cluster_model/measured_profile.h"
#include "parallel/cluster_model/predict.h"
#include "parallel/pipeline/schedule/bubble.h"
#include "parallel/pipeline/schedule/simulate.h"
#include "tests/common/error_matchers.h"

namespace tandem::cluster {
namespace {

constexpr double kMs = 1e-3;

MeasuredProfile synthetic_profile() {
  MeasuredProfile p;
  const MeasuredLayer light{0.1 * kMs, 0.1 * kMs, 0.05 * kMs, 0.05 * kMs};
  const MeasuredLayer heavy{1 * kMs, 2 * kMs, 1 * kMs, 1 * kMs};
  p.layers_at_tokens[64] = {light, heavy, heavy, heavy, heavy, light, heavy};
  // Compute per token 0.3 + 4 x 3 + 0.1 + 3 = 15.4, memory in the same
  // proportion, so the cut is by compute: max(6.3, 9.1) beats max(9.3, 6.1).
  p.partition_per_token = {{"embedding", 0.3, 0.3, 0}, {"block 0", 3, 3, 0}, {"block 1", 3, 3, 0},
                           {"block 2", 3, 3, 0},       {"block 3", 3, 3, 0}, {"norm", 0.1, 0.1, 0},
                           {"head", 3, 3, 0}};
  p.activation_bytes_per_token = std::vector<double>(7, 0.0);
  p.optimizer_s_per_parameter = 0;
  return p;
}

// One host whose link costs nothing: the pipeline's arithmetic alone.
ClusterType free_links(int processes) {
  const Link instant{"instant", 0, 1e30};
  return {"synthetic", processes, {"CPU", 1, 1e12, "fp32"}, instant, instant};
}

Job synthetic_job(const MeasuredProfile& profile, int processes) {
  Job job;
  job.shape = {"gpt-mini", 4, 4, 256, 256, 256, 512, true};
  job.sequence_length = 32;
  job.global_batch = 8;
  job.instance_count = 1;
  job.processes_per_host = processes;
  job.memory_weight = 0.2;
  job.measured = &profile;
  return job;
}

TEST(MeasuredProfile, OneProcessIsTheSumOfItsLayersScaledToItsTokens) {
  const MeasuredProfile profile = synthetic_profile();
  // 8 examples x 32 tokens = 256 tokens: 4x the profiled 64.
  const Prediction p = predict(synthetic_job(profile, 1), Strategy{}, free_links(1));
  const double per_64_tokens = (0.1 + 0.1) + 4 * (1 + 2) + (0.1 + 0.1) + (1 + 2);  // ms
  EXPECT_NEAR(p.step_s, 4 * per_64_tokens * kMs, 1e-12);
  EXPECT_DOUBLE_EQ(p.bubble, 0);
}

// A CPU machine whose ranks hold every core: the gradient reduction cannot
// hide behind backward and runs at the collective's measured bandwidth.
TEST(MeasuredProfile, DataParallelOnBusyCoresChargesTheWholeReduction) {
  const MeasuredProfile profile = synthetic_profile();
  ClusterType machine = free_links(2);
  machine.intra_host_collective = {"measured allreduce", 0, 1e9};  // 1 GB/s
  machine.overlaps_communication = false;
  const Prediction cpu = predict(synthetic_job(profile, 2), Strategy{}, machine);
  // A 2-rank ring sends 2 x S bytes in all and takes S / beta.
  const double gradient_bytes = cpu.intra_host_bytes / 2;
  EXPECT_GT(gradient_bytes, 1e6);
  EXPECT_NEAR(cpu.allreduce_s, gradient_bytes / 1e9, 1e-12);
  EXPECT_NEAR(cpu.step_s, cpu.compute_s + cpu.allreduce_s, 1e-12);
  // Where communication overlaps, all but the embedding's last bucket hides
  // behind the 2 x 10.2 ms backward.
  machine.overlaps_communication = true;
  const Prediction overlapped = predict(synthetic_job(profile, 2), Strategy{}, machine);
  EXPECT_LT(overlapped.allreduce_s, 0.1 * cpu.allreduce_s);
}

// A pipeline message whose sender computes on takes the busy-sender alpha:
// the prediction is the simulator's for those two latencies.
TEST(MeasuredProfile, PipelineMessagesOfABusySenderTakeTheirOwnLatency) {
  const MeasuredProfile profile = synthetic_profile();
  ClusterType machine = free_links(2);
  machine.intra_host_busy_sender_alpha_s = 1 * kMs;
  const Prediction p = predict(synthetic_job(profile, 2), {"simple", 2, 4, 1, "cluster"}, machine);
  pipeline::Costs costs{3.1 * kMs, 6.1 * kMs, 0, 0, 0};
  costs.stages = {{2.1 * kMs, 4.1 * kMs, 0, 0}, {3.1 * kMs, 6.1 * kMs, 0, 0}};
  costs.p2p_sender_busy = 1 * kMs;
  const double expected = pipeline::simulate(pipeline::build_schedule({"simple", 2, 4}), costs).makespan;
  EXPECT_NEAR(p.pipeline_s, expected, 1e-9);
  // The hand calculation below plus 1 ms: the first activation leaves as
  // stage 0 starts its next forward; the rest wait on no message.
  EXPECT_NEAR(p.pipeline_s, 44 * kMs, 1e-9);
}

TEST(MeasuredProfile, GpipeBubbleAndStepMatchTheHandCalculation) {
  const MeasuredProfile profile = synthetic_profile();
  // p = 2, m = 4, 8 examples in one replica: microbatches of 2 x 32 = 64 tokens.
  const Prediction p = predict(synthetic_job(profile, 2), {"simple", 2, 4, 1, "cluster"}, free_links(2));
  // Stage 0: 0.1 + 1 + 1 = 2.1 ms forward, 4.1 ms backward; stage 1: 1 + 1 +
  // 0.1 + 1 = 3.1 ms and 6.1 ms, the slowest, whose costs are reported.
  EXPECT_NEAR(p.forward_s, 3.1 * kMs, 1e-12);
  EXPECT_NEAR(p.backward_s, 6.1 * kMs, 1e-12);
  // GPipe: stage 1 starts at 2.1 ms and, slower than stage 0, never waits
  // again: 4 forwards and 4 backwards, 4 x 9.2 ms; stage 0's last backward
  // follows: 2.1 + 36.8 + 4.1 = 43 ms. Busy 4 x (6.2 + 9.2) ms of 2 x 43:
  // a bubble of 1 - 61.6 / 86, against the unit-cost theory's
  // (p - 1) / (m + p - 1) = 20% for even stages.
  EXPECT_NEAR(p.pipeline_s, 43 * kMs, 1e-9);
  EXPECT_NEAR(p.bubble, 1 - 61.6 / 86, 1e-9);
  EXPECT_NEAR(p.bubble_theory, 0.2, 1e-12);
  EXPECT_NEAR(p.step_s, p.pipeline_s, 1e-9);  // free links: no allreduce, tied exchange or optimizer time
}

TEST(MeasuredProfile, TheSchedulesBubblesOrderAsTheTheorySays) {
  const MeasuredProfile profile = synthetic_profile();
  const auto bubble = [&](const Strategy& s) {
    return predict(synthetic_job(profile, 2), s, free_links(2)).bubble;
  };
  const double simple = bubble({"simple", 2, 4, 1, "cluster"});
  const double one_f_one_b = bubble({"interleaved", 2, 4, 1, "cluster"});
  const double virtual_stages = bubble({"interleaved_virtual", 2, 4, 2, "cluster"});
  const double zero_bubble = bubble({"zb_h1", 2, 4, 1, "cluster"});
  EXPECT_NEAR(one_f_one_b, simple, 1e-9);  // 1F1B saves memory, not time
  EXPECT_LT(virtual_stages, one_f_one_b);
  EXPECT_LT(zero_bubble, one_f_one_b);
  // Uneven stages only add idle time to the unit-cost theory's.
  for (const auto& [s, b] : std::vector<std::pair<Strategy, double>>{{{"simple", 2, 4, 1, "cluster"}, simple},
                                                                      {{"interleaved_virtual", 2, 4, 2, "cluster"}, virtual_stages},
                                                                      {{"zb_h1", 2, 4, 1, "cluster"}, zero_bubble}}) {
    const double theory = pipeline::theoretical_bubble({s.kind, s.partitions, s.microbatches, s.virtual_stages});
    EXPECT_GE(b, theory - 1e-9) << s.label();
    EXPECT_LT(b, theory + 0.2) << s.label();
  }
}

TEST(MeasuredProfile, LinksOptimizerAndSharedCoresAddTheirTerms) {
  MeasuredProfile profile = synthetic_profile();
  profile.optimizer_s_per_parameter = 1e-9;
  const Link link{"measured", 50e-6, 1e9};
  const ClusterType machine{"synthetic", 2, {"CPU", 1, 1e12, "fp32"}, link, link};
  const Job job = synthetic_job(profile, 2);
  const Prediction dp = predict(job, Strategy{}, machine);
  // Two replicas of 4 examples = 128 tokens each: twice the profiled layer times.
  const double compute = 2 * ((0.2 + 12 + 0.2 + 3) * kMs);
  EXPECT_NEAR(dp.compute_s, compute, 1e-12);
  EXPECT_GT(dp.allreduce_s, 2 * link.alpha_s);  // the embedding's bucket at least, reduced after backward
  EXPECT_NEAR(dp.step_s, compute + dp.allreduce_s + dp.optimizer_s, 1e-12);
  EXPECT_GT(dp.optimizer_s, 0);
  EXPECT_GT(dp.intra_host_bytes, 0);
  EXPECT_DOUBLE_EQ(dp.inter_host_bytes, 0);  // one host

  profile.compute_scale = 2;  // four ranks on two cores
  const Prediction shared = predict(job, Strategy{}, machine);
  EXPECT_NEAR(shared.compute_s, 2 * compute, 1e-12);
}

// Four ranks pinned to two cores (rank r on core r mod 2), a core 1.2x
// slower while both compute. Data parallel: two ranks a core take turns, at
// 1.2x. The hybrid p=2 x dp=2: cluster numbers a replica's stages 0 1 and 2
// 3, so both replicas' stage 0 share core 0 and take turns all along;
// spread numbers them 0 2 and 1 3, so a replica's two stages share a core
// and alternate, each alone on it, while the other core runs the twin.
TEST(MeasuredProfile, RanksPinnedToFewerCoresTakeTurnsWherePlacementPutsThem) {
  MeasuredProfile profile = synthetic_profile();
  profile.cores = 2;
  profile.slowdown_with_busy_cores = {1, 1.2};
  const Job job = synthetic_job(profile, 4);
  const Prediction dp = predict(job, Strategy{}, free_links(4));
  // Four replicas of 2 examples = 64 tokens: the profiled layer times once.
  EXPECT_NEAR(dp.compute_s, 2 * 1.2 * (0.2 + 12 + 0.2 + 3) * kMs, 1e-12);

  // Replicas of 4 examples, m = 2: microbatches of 64 tokens, the stages of
  // GpipeBubbleAndStepMatchTheHandCalculation.
  pipeline::Costs costs{3.1 * kMs, 6.1 * kMs, 0, 0, 0};
  costs.stages = {{2.1 * kMs, 4.1 * kMs, 0, 0}, {3.1 * kMs, 6.1 * kMs, 0, 0}};
  costs.sharing.slowdown_with_busy_cores = {1, 1.2};
  const pipeline::Schedule schedule = pipeline::build_schedule({"interleaved", 2, 2});
  costs.sharing.core_of_rank = {0, 1};
  costs.sharing.ranks_on_core = {{0, 0}, {1, 1}};
  const Prediction cluster = predict(job, {"interleaved", 2, 2, 1, "cluster"}, free_links(4));
  EXPECT_NEAR(cluster.pipeline_s, pipeline::simulate(schedule, costs).makespan, 1e-12);
  costs.sharing.core_of_rank = {0, 0};
  costs.sharing.ranks_on_core = {{0, 1}, {0, 1}};
  const Prediction spread = predict(job, {"interleaved", 2, 2, 1, "spread"}, free_links(4));
  EXPECT_NEAR(spread.pipeline_s, pipeline::simulate(schedule, costs).makespan, 1e-12);
  EXPECT_LT(spread.pipeline_s, 0.8 * cluster.pipeline_s);
  // Where busy cores do not slow each other, every action of the cluster
  // placement takes turns with its twin: twice the unshared 1F1B, whose
  // stage 1 runs F0 B0 F1 B1 from 2.1 ms without waiting (4 x 9.2 / 2) and
  // stage 0's last backward follows: 2.1 + 18.4 + 4.1 = 24.6 ms.
  profile.slowdown_with_busy_cores = {1, 1};
  EXPECT_NEAR(predict(job, {"interleaved", 2, 2, 1, "cluster"}, free_links(4)).pipeline_s, 2 * 24.6 * kMs, 1e-9);
}

TEST(MeasuredProfile, AProfileOfAnotherModelIsRefused) {
  MeasuredProfile profile = synthetic_profile();
  profile.layers_at_tokens[64].pop_back();
  EXPECT_ERROR(predict(synthetic_job(profile, 1), Strategy{}, free_links(1)), UsageError,
               "measured profile: 6 layers where the model has 7");
}

}  // namespace
}  // namespace tandem::cluster
