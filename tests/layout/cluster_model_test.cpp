// The cluster model (parallel/cluster_model/): the seed's model-parallel job
// on two ml.p3dn.24xlarge checked against a calculation by hand, the
// recommendation against the sweep's minimum, memory that fits on one GPU type
// and not on another, and bad inputs refused by name. No timing: every number
// is computed.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "engine/error.h"
#include "parallel/cluster_model/cluster_table.h"
#include "parallel/cluster_model/link_costs.h"
#include "parallel/cluster_model/predict.h"
#include "parallel/cluster_model/report.h"
#include "parallel/cluster_model/sweep.h"

namespace tandem::cluster {
namespace {

// examples/jobs/model-parallel.json: gpt-mini (4 layers, 4 heads, d 256,
// byte vocabulary 256, 512 positions, tied), block_size 64,
// per_device_train_batch_size 8, partitions 4, microbatches 4, interleaved,
// spread, ddp, optimize speed (memory_weight 0.2), 2 hosts x 8 processes.
Job seed_job() {
  Job job;
  job.shape = {"gpt-mini", 4, 4, 256, 1024, 256, 512, true};
  job.sequence_length = 64;
  job.instance_count = 2;
  job.processes_per_host = 8;
  job.global_batch = 8 * 4;  // 8 per replica x 4 replicas (16 ranks / 4 stages)
  job.memory_weight = 0.2;
  return job;
}

Strategy seed_strategy(const std::string& placement = "spread") { return {"interleaved", 4, 4, 1, placement}; }

void expect_relative(double actual, double expected, const char* what) {
  EXPECT_NEAR(actual, expected, 1e-9 * std::abs(expected)) << what;
}

}  // namespace

TEST(ClusterModel, SeedJobOnTwoP3dnHostsMatchesTheHandCalculation) {
  const Prediction p = predict(seed_job(), seed_strategy(), find_cluster("ml.p3dn.24xlarge"));
  // Calibration: GPT-2 124M (12 x 768, vocab 50304, T 1024) costs per token
  //   3 x [12 x (2(4·768² + 2·768·3072) + 4·1024·768) + 2·50304·768] = 854,654,976 flops;
  //   at 352,173 tokens/s on a 989 TFLOP/s H200 that is 30.4334% of peak.
  const double efficiency = 854654976.0 * 352173.0 / 989e12;
  expect_relative(p.efficiency, efficiency, "efficiency");
  // A V100 then sustains 125e12 x 0.304334 = 3.804e13 flop/s. A microbatch is
  // 8/4 = 2 sequences x 64 = 128 tokens. Stage 3 (block 3, norm, head) needs
  // 128 x (1,572,864 + 65,536 + 131,072) flops = 6.0 µs: below its 13 + 1 + 4
  // = 18 operators x 10 µs, so launch-bound: F3 = 180 µs, B3 = 360 µs, the
  // slowest stage's, which the prediction reports. Stage 0 (embedding + block
  // 0) is 15 operators: F0 = 150 µs; stages 1 and 2 (one block, 13): 130 µs.
  // Every backward is twice its forward.
  expect_relative(p.forward_s, 180e-6, "forward");
  expect_relative(p.backward_s, 360e-6, "backward");
  // Spread puts stages 0,1 of every replica on host 1 and stages 2,3 on host 2,
  // so 4 activation messages of 128 x 256 x 2 = 65,536 bytes leave a host at
  // once over its 100 Gbit/s x 0.8 = 10 GB/s: 10 µs + 65,536 / 2.5e9 s.
  const double p2p = 10e-6 + 65536.0 / 2.5e9;
  expect_relative(p.p2p_s, p2p, "p2p");
  // 1F1B, p = m = 4, each stage at its own cost, a transfer delay c per hop.
  // Microbatch 0 goes down the stages: stage 3 starts F0 at F0 + F1 + F2 + 3c
  // = 410 µs + 3c. From there stage 3, the slowest, never waits: its next
  // forward always arrives before its backward ends (F1 from stage 2 at
  // 562 µs + 3c against B0's end at 950 µs + 3c; F2 at 1,340 µs + 5c against
  // 1,490 µs + 3c; F3 at 1,880 µs + 5c against 2,030 µs + 3c: c is 36 µs
  // here), so it ends B3 after 4 x (F3 + B3) = 2,160 µs. B3's gradient then
  // climbs stages 2, 1, 0, each of which has finished its own B2 by then
  // (2,435, 2,731 and 3,067 µs against 2,715, 3,011 and 3,307 µs at c = 36):
  //   pipeline = (F0 + F1 + F2) + 4 (F3 + B3) + (B2 + B1 + B0) + 6c
  //            = 410 + 2,160 + 820 µs + 6c.
  auto one_f_one_b = [](double c) { return 3390e-6 + 6 * c; };
  const double pipeline = one_f_one_b(p2p);
  expect_relative(p.pipeline_s, pipeline, "pipeline");
  // Stage 0 ends last (its final backward closes the pipeline), then reduces its
  // gradients inside the host: 986,368 parameters (embedding 256·256 + 512·256,
  // block 12·256² + 13·256) x 4 bytes over a 4-rank NVLink ring at
  // 150 GB/s x 370/450 = 123.3 GB/s: 6 x 1 µs + 1.5 x 3,945,472 / 123.3e9.
  const double stage0_reduce = 6e-6 + 1.5 * 4 * 986368.0 / (150e9 * 370.0 / 450.0);
  // Then the tied embedding (256 x 256 x 4 bytes) between stage 0 (host 1) and
  // stage 3 (host 2), 4 replicas sharing the network: 2 x 10 µs + 262,144 / 2.5e9.
  const double tied = 20e-6 + 262144.0 / 2.5e9;
  expect_relative(p.step_s, pipeline + stage0_reduce + tied, "step");
  expect_relative(p.tokens_per_second, 32 * 64 / (pipeline + stage0_reduce + tied), "tokens/s");
  // Bytes: each (replica, boundary) carries 4 activations and 4 gradients of
  // 65,536 bytes = 524,288; boundary 1->2 crosses hosts (4 replicas), 0->1 and
  // 2->3 do not. The 4 dp rings stay inside a host: 4 edges x 1.5 x 4 bytes x
  // (986,368 + 789,760 + 789,760 + 855,808 with the head's tied copy). The tied
  // pair crosses: 2 edges x 262,144, 4 replicas.
  expect_relative(p.inter_host_bytes, 4 * 524288.0 + 4 * 2 * 262144.0, "inter-host bytes");
  expect_relative(p.intra_host_bytes, 2 * 4 * 524288.0 + 4 * 1.5 * 4 * 3421696.0, "intra-host bytes");
  // Memory of the fullest rank, stage 0: 18 bytes x 986,368 parameters plus the
  // p = 4 microbatches 1F1B keeps in flight there, 128 tokens x (34·256 +
  // 5·4·64 = 9,984 bytes) each.
  expect_relative(p.memory_bytes, 18 * 986368.0 + 4 * 128 * 9984.0, "memory");
  EXPECT_EQ(p.peak_stashed, 4);
  EXPECT_TRUE(p.fits);
  // Bubble: the simulator's idle share with these costs, 1 - busy/(p x makespan);
  // the stages are busy 4 x 3 x (150 + 130 + 130 + 180) µs together.
  expect_relative(p.bubble, 1 - 4 * 3 * 590e-6 / (4 * pipeline), "bubble");
  expect_relative(p.bubble_theory, 3.0 / 7.0, "bubble theory");
}

TEST(ClusterModel, ClusterPlacementSendsTheSeedsGradientsOverTheNetwork) {
  const auto& p3dn = find_cluster("ml.p3dn.24xlarge");
  const Prediction spread = predict(seed_job(), seed_strategy("spread"), p3dn);
  const Prediction clustered = predict(seed_job(), seed_strategy("cluster"), p3dn);
  // Cluster keeps each replica on one host (no inter-host activations) but every
  // stage's 4-rank dp ring spans both hosts; 4 rings share each host's 10 GB/s:
  // stage 0 takes 6 x 10 µs + 1.5 x 3,945,472 / 2.5e9 = 2.43 ms.
  // Activations now move over NVLink: c = 1 µs + 65,536 / 123.3e9; the tied pair
  // is inside a host too: 2 x 1 µs + 262,144 / 123.3e9.
  const double nvlink = 150e9 * 370.0 / 450.0;
  const double c = 1e-6 + 65536.0 / nvlink;
  EXPECT_NEAR(clustered.p2p_s, c, 1e-15);
  const double stage0_reduce = 60e-6 + 1.5 * 4 * 986368.0 / 2.5e9;
  const double tied = 2e-6 + 262144.0 / nvlink;
  // The pipeline's critical path is the one above, with this c.
  EXPECT_NEAR(clustered.step_s, 3390e-6 + 6 * c + stage0_reduce + tied, 1e-12);
  EXPECT_GT(clustered.inter_host_bytes, spread.inter_host_bytes);
  EXPECT_GT(clustered.step_s, spread.step_s + 1.5e-3);
}

TEST(ClusterModel, RecommendationIsTheFastestStrategyThatFits) {
  for (const char* type : {"ml.p3dn.24xlarge", "ml.p4d.24xlarge", "ml.p5.48xlarge"}) {
    const Sweep s = sweep(seed_job(), find_cluster(type));
    ASSERT_GE(s.recommended, 0) << type;
    ASSERT_GT(s.predictions.size(), 20u) << type;
    const Prediction& best = s.predictions[s.recommended];
    for (const auto& p : s.predictions) {
      if (!p.fits) continue;
      EXPECT_GE(p.step_s, best.step_s * (1 - 1e-6)) << type << ": " << p.strategy.label() << " beats "
                                                   << best.strategy.label();
    }
    // The sweep holds the given strategy, predicted alike.
    bool found = false;
    for (const auto& p : s.predictions)
      if (p.strategy.label() == seed_strategy().label()) {
        found = true;
        EXPECT_DOUBLE_EQ(p.step_s, predict(seed_job(), seed_strategy(), find_cluster(type)).step_s);
      }
    EXPECT_TRUE(found) << type;
  }
}

TEST(ClusterModel, MemoryFitsFlipWithTheGpuAndThePipeline) {
  // GPT-2 1.5B (48 x 1600, 25 heads, vocab 50304, T 1024), one sequence per GPU, 8 GPUs.
  Job job;
  job.shape = {"gpt2-1.5b", 48, 25, 1600, 6400, 50304, 1024, true};
  job.sequence_length = 1024;
  job.instance_count = 1;
  job.processes_per_host = 8;
  job.global_batch = 8;
  // Data parallel: 1.56 G parameters x 18 bytes = 28.1 GB plus 48 x 1024 x
  // (34·1600 + 5·25·1024) = 9.0 GB of activations: 37.3 GB. A V100's usable
  // 0.9 x 32 GiB = 30.9 GB is too small, an A100 40 GB's 38.7 GB is enough.
  const Strategy dp{"data_parallel", 1, 1, 1, "cluster"};
  const Prediction on_v100 = predict(job, dp, find_cluster("ml.p3dn.24xlarge"));
  const Prediction on_a100 = predict(job, dp, find_cluster("ml.p4d.24xlarge"));
  EXPECT_NEAR(on_v100.memory_bytes, on_a100.memory_bytes, 1.0);
  EXPECT_GT(on_v100.memory_bytes, 36e9);
  EXPECT_LT(on_v100.memory_bytes, 38e9);
  EXPECT_FALSE(on_v100.fits);
  EXPECT_TRUE(on_a100.fits);
  // Cut into 8 stages (one replica of 8 sequences, 8 microbatches), each V100
  // holds an eighth of the weights and, at stage 0, 8 microbatches of its
  // layers' activations: it fits.
  const Prediction pipelined = predict(job, {"interleaved", 8, 8, 1, "cluster"}, find_cluster("ml.p3dn.24xlarge"));
  EXPECT_TRUE(pipelined.fits);
  EXPECT_LT(pipelined.memory_bytes, on_v100.memory_bytes / 2);
  // And the sweep never recommends what does not fit.
  const Sweep s = sweep(job, find_cluster("ml.p3dn.24xlarge"));
  ASSERT_GE(s.recommended, 0);
  EXPECT_TRUE(s.predictions[s.recommended].fits);
  EXPECT_NE(s.predictions[s.recommended].strategy.kind, "data_parallel");
}

TEST(ClusterModel, RingAllreduceFollowsTheBusBandwidthDefinition) {
  const auto& p5 = find_cluster("ml.p5.48xlarge");
  // 8 ranks in one host: 14 x 1 µs + 2 x 7/8 x S / (450 GB/s x 370/450 = 370 GB/s).
  EXPECT_NEAR(allreduce_seconds(p5, {8, 1, 1}, 249e6), 14e-6 + 1.75 * 249e6 / 370e9, 1e-12);
  // The same ring over 2 hosts: the network, 3200 Gbit/s x 0.8 = 320 GB/s, is the narrower link.
  EXPECT_NEAR(allreduce_seconds(p5, {8, 2, 1}, 249e6), 14 * 10e-6 + 1.75 * 249e6 / 320e9, 1e-12);
  const TrafficSplit t = allreduce_traffic({8, 2, 1}, 8e6);
  EXPECT_DOUBLE_EQ(t.inter_host, 2 * 1.75 * 8e6);
  EXPECT_DOUBLE_EQ(t.intra_host, 6 * 1.75 * 8e6);
  EXPECT_EQ(allreduce_seconds(p5, {1, 1, 1}, 1e9), 0);
}

TEST(ClusterModel, BadInputsAreRefusedByName) {
  auto message_of = [](auto&& f) -> std::string {
    try {
      f();
    } catch (const UsageError& e) {
      return e.what();
    }
    return "(no error)";
  };
  const auto& p3dn = find_cluster("ml.p3dn.24xlarge");
  EXPECT_EQ(message_of([] { find_cluster("ml.p9.huge"); }),
            "--cluster: unknown instance type \"ml.p9.huge\" (expected one of: ml.p3dn.24xlarge, ml.p4d.24xlarge, "
            "ml.p5.48xlarge)");
  Job job = seed_job();
  job.instance_count = 0;
  EXPECT_EQ(message_of([&] { predict(job, seed_strategy(), p3dn); }),
            "--instance_count: 0 (expected at least 1 host)");
  job = seed_job();
  job.memory_weight = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(message_of([&] { predict(job, seed_strategy(), p3dn); }).find("memory_weight: nan (expected a number"),
            std::string::npos);
  job = seed_job();
  job.processes_per_host = 16;
  EXPECT_EQ(message_of([&] { predict(job, seed_strategy(), p3dn); }),
            "--processes_per_host: 16 exceeds the 8 GPUs of ml.p3dn.24xlarge");
  job = seed_job();
  EXPECT_EQ(message_of([&] { predict(job, {"interleaved", 3, 4, 1, "spread"}, p3dn); }),
            "partitions 3 does not divide the 16 processes (instance_count 2 x processes_per_host 8)");
  EXPECT_EQ(message_of([&] { predict(job, {"interleaved", 4, 3, 1, "spread"}, p3dn); }),
            "replica batch 8 is not divisible by microbatches 3");
  job.shape.heads = 3;
  EXPECT_EQ(message_of([&] { predict(job, seed_strategy(), p3dn); }),
            "model gpt-mini: n_head 3 does not divide n_embd 256");
  EXPECT_EQ(message_of([] { parse_calibration("jit"); }), "--calibration: \"jit\" is not one of eager, compile");
}

TEST(ClusterModel, SweepJsonHoldsEveryStrategyAndTheRecommendation) {
  const Job job = seed_job();
  const auto& p3dn = find_cluster("ml.p3dn.24xlarge");
  const Sweep s = sweep(job, p3dn);
  const auto json = sweep_to_json(job, p3dn, predict(job, seed_strategy(), p3dn), s);
  EXPECT_EQ(json.at("strategies").size(), s.predictions.size());
  EXPECT_EQ(json.at("recommended").at("strategy"), s.predictions[s.recommended].strategy.label());
  EXPECT_EQ(json.at("given").at("strategy"), "interleaved p=4 m=4 spread");
  const std::string text = render_recommendation(s, predict(job, seed_strategy(), p3dn));
  EXPECT_EQ(text.rfind("recommended: " + s.predictions[s.recommended].strategy.label(), 0), 0u) << text;
}

}  // namespace tandem::cluster
