#include "launcher/distribution/model_parallel.h"

#include <cmath>

#include <gtest/gtest.h>

#include "engine/error.h"
#include "tests/common/error_matchers.h"

namespace tandem::launcher {
namespace {

using nlohmann::json;

ModelParallelParams parse(const std::string& text) {
  return parse_model_parallel(json::parse(text), {"distribution", "smdistributed.modelparallel.parameters"});
}

TEST(ModelParallel, DefaultsFollowSmp) {
  const auto mp = parse(R"({"partitions": 2})");
  EXPECT_EQ(mp.pp_size, 2);
  EXPECT_EQ(mp.microbatches, 1);
  EXPECT_EQ(mp.pipeline, "interleaved");
  EXPECT_EQ(mp.placement_strategy, "cluster");
  EXPECT_EQ(mp.optimize, "memory");
  EXPECT_DOUBLE_EQ(mp.memory_weight, 0.8);
  EXPECT_FALSE(mp.ddp);
  EXPECT_EQ(mp.active_microbatches, 4);
  EXPECT_TRUE(mp.auto_partition);
  EXPECT_EQ(mp.default_partition, 0);
  EXPECT_EQ(mp.virtual_stages, 1);
  EXPECT_EQ(mp.schedule_variant, "");
  EXPECT_EQ(mp.tensor_parallel_degree, 1);
  EXPECT_EQ(mp.given, json::parse(R"({"partitions": 2})"));
}

TEST(ModelParallel, ReadsEveryField) {
  const auto mp = parse(R"({"pipeline_parallel_degree": 4, "microbatches": 8, "pipeline": "simple",
      "placement_strategy": "spread", "optimize": "speed", "ddp": true, "ddp_port": 7000,
      "ddp_dist_backend": "nccl", "active_microbatches": 3, "auto_partition": true, "default_partition": 3,
      "contiguous": false, "deterministic_server": true, "tensor_parallel_degree": 1,
      "fp16": false, "prescaled_batch": true, "sdp_reduce_bucket_size": 5e8})");
  EXPECT_EQ(mp.pp_size, 4);
  EXPECT_EQ(mp.microbatches, 8);
  EXPECT_EQ(mp.pipeline, "simple");
  EXPECT_EQ(mp.placement_strategy, "spread");
  EXPECT_DOUBLE_EQ(mp.memory_weight, 0.2);
  EXPECT_TRUE(mp.ddp);
  EXPECT_EQ(mp.ddp_port, 7000);
  EXPECT_EQ(mp.ddp_dist_backend, "nccl");
  EXPECT_EQ(mp.active_microbatches, 3);
  EXPECT_TRUE(mp.auto_partition);
  EXPECT_EQ(mp.default_partition, 3);
  EXPECT_FALSE(mp.contiguous);
  EXPECT_TRUE(mp.deterministic_server);
}

// Nothing given is silently ignored: every parameter that changes nothing in
// tandem leaves one note saying why, and nothing else does.
TEST(ModelParallel, InertParametersLeaveOneNoteEach) {
  EXPECT_TRUE(parse(R"({"partitions": 2, "ddp": true, "contiguous": true})").notes.empty());
  const auto mp = parse(R"({"partitions": 2, "ddp": true, "ddp_port": 7000, "deterministic_server": true,
      "horovod": false, "contiguous": false, "default_partition": 1})");
  ASSERT_EQ(mp.notes.size(), 5u);
  const auto note_for = [&](const std::string& key) {
    for (const auto& note : mp.notes) {
      if (note.rfind(key + " ", 0) == 0) return note;
    }
    return std::string("no note for " + key);
  };
  EXPECT_NE(note_for("ddp_port").find("ddp_port 7000: no effect (tandem's data-parallel groups"), std::string::npos);
  EXPECT_NE(note_for("deterministic_server").find("deterministic_server True: no effect (tandem has no scheduling server"),
            std::string::npos);
  EXPECT_NE(note_for("horovod").find("horovod False: no effect"), std::string::npos);
  EXPECT_NE(note_for("contiguous").find("contiguous False: the partitioner still cuts contiguous spans"), std::string::npos);
  EXPECT_NE(note_for("default_partition").find("default_partition 1: no effect with auto_partition True"),
            std::string::npos);
}

TEST(ModelParallel, UnsupportedParametersAreRefusedByName) {
  const std::string at = "distribution: smdistributed.modelparallel.parameters.";
  EXPECT_ERROR(parse(R"({"partitions": 2, "horovod": true})"), UsageError,
               at + "horovod: True is not supported: tandem has no Horovod");
  EXPECT_ERROR(parse(R"({"partitions": 2, "auto_partition": false, "default_partition": 1})"), UsageError,
               at + "auto_partition: False is not supported: tandem has no per-module partition assignments, so every "
                    "layer would go to default_partition 1 and leave the other 1 stage(s) empty");
  EXPECT_ERROR(parse(R"({"partitions": 2, "ddp": true, "ddp_port": 65536})"), UsageError,
               at + "ddp_port: expected a port in [0, 65535], got 65536");
}

TEST(ModelParallel, NonFiniteNumbersAreRefusedByName) {
  const std::string at = "--mp_parameters: ";
  EXPECT_ERROR(parse_mp_parameters_arg("partitions=2,memory_weight=nan"), UsageError,
               at + "memory_weight: expected a finite number, got NaN");
  EXPECT_ERROR(parse_mp_parameters_arg("partitions=2,memory_weight=inf"), UsageError,
               at + "memory_weight: expected a finite number, got inf");
  EXPECT_ERROR(parse_mp_parameters_arg("partitions=2,sdp_gradient_clipping=-1e999"), UsageError,
               at + "sdp_gradient_clipping: expected a finite number, got -inf");
  // The same through JSON, which can carry a NaN double once decoded.
  EXPECT_ERROR(parse_model_parallel(json{{"partitions", 2}, {"memory_weight", std::nan("")}}, {"distribution", ""}),
               UsageError, "memory_weight: expected a finite number, got NaN");
}

TEST(ModelParallel, VirtualStages) {
  EXPECT_EQ(parse(R"({"partitions": 2, "virtual_stages": 2})").virtual_stages, 2);
}

TEST(ModelParallel, MemoryWeightGivenWins) {
  EXPECT_DOUBLE_EQ(parse(R"({"partitions": 2, "optimize": "speed", "memory_weight": 0.5})").memory_weight, 0.5);
  EXPECT_DOUBLE_EQ(parse(R"({"partitions": 2, "memory_weight": 1})").memory_weight, 1.0);
}

TEST(ModelParallel, PlacementLetterFormsAreKeptForTheTopology) {
  EXPECT_EQ(parse(R"({"partitions": 2, "placement_strategy": "DPT"})").placement_strategy, "DPT");
  EXPECT_EQ(parse(R"({"partitions": 2, "placement_strategy": "TPD"})").placement_strategy, "TPD");
}

TEST(ModelParallel, ZeroBubbleSelectsZbH1OrWithTwoChunksTheV) {
  EXPECT_EQ(parse(R"({"partitions": 2, "zero_bubble": true})").schedule_variant, "zb_h1");
  EXPECT_EQ(parse(R"({"partitions": 2, "zero_bubble": true, "virtual_stages": 2})").schedule_variant, "zb_v");
  EXPECT_EQ(parse(R"({"partitions": 2, "zero_bubble": false})").schedule_variant, "");
}

TEST(ModelParallel, UnknownKeyNamesTheDottedPathAndTheAcceptedKeys) {
  EXPECT_ERROR(parse(R"({"partition": 2})"), UsageError,
               "distribution: unknown key \"smdistributed.modelparallel.parameters.partition\" (expected one of: "
               "partitions, pipeline_parallel_degree, microbatches, pipeline,");
}

TEST(ModelParallel, EveryValidationErrorNamesTheKey) {
  const std::string at = "distribution: smdistributed.modelparallel.parameters.";
  EXPECT_ERROR(parse(R"({})"), UsageError, at + "partitions: required");
  EXPECT_ERROR(parse(R"({"partitions": "2"})"), UsageError, at + "partitions: expected an integer >= 1, got \"2\"");
  EXPECT_ERROR(parse(R"({"partitions": 2.0})"), UsageError, at + "partitions: expected an integer >= 1, got 2.0");
  EXPECT_ERROR(parse(R"({"partitions": 0})"), UsageError, at + "partitions: expected an integer >= 1, got 0");
  EXPECT_ERROR(parse(R"({"partitions": 4294967296})"), UsageError, at + "partitions: expected an integer below 2^31");
  EXPECT_ERROR(parse(R"({"partitions": 2, "pipeline_parallel_degree": 4})"), UsageError,
               at + "pipeline_parallel_degree: is an alias of partitions");
  EXPECT_ERROR(parse(R"({"partitions": 2, "microbatches": 0})"), UsageError, at + "microbatches: expected an integer >= 1");
  EXPECT_ERROR(parse(R"({"partitions": 2, "pipeline": "_only_forward"})"), UsageError,
               at + "pipeline: expected one of \"interleaved\", \"simple\", got \"_only_forward\"");
  EXPECT_ERROR(parse(R"({"partitions": 2, "optimize": "fast"})"), UsageError,
               at + "optimize: expected one of \"memory\", \"speed\"");
  EXPECT_ERROR(parse(R"({"partitions": 2, "placement_strategy": "DDP"})"), UsageError,
               at + "placement_strategy: placement_strategy=\"DDP\" is not \"cluster\", \"spread\" or a permutation");
  EXPECT_ERROR(parse(R"({"partitions": 2, "virtual_stages": 2, "pipeline": "simple"})"), UsageError,
               at + "virtual_stages: > 1 needs pipeline \"interleaved\", got \"simple\"");
  EXPECT_ERROR(parse(R"({"partitions": 2, "memory_weight": 1.5})"), UsageError, at + "memory_weight: expected a number in [0, 1]");
  EXPECT_ERROR(parse(R"({"partitions": 2, "memory_weight": -0.1})"), UsageError, at + "memory_weight: expected a number >= 0");
  EXPECT_ERROR(parse(R"({"partitions": 2, "memory_weight": "0.5"})"), UsageError, at + "memory_weight: expected a number");
  EXPECT_ERROR(parse(R"({"partitions": 2, "ddp": "True"})"), UsageError, at + "ddp: expected true or false, got \"True\"");
  EXPECT_ERROR(parse(R"({"partitions": 2, "ddp": true, "horovod": true})"), UsageError,
               at + "horovod: ddp and horovod cannot both be True");
  EXPECT_ERROR(parse(R"({"partitions": 2, "ddp_port": 7000})"), UsageError, at + "ddp_port: needs ddp True");
  EXPECT_ERROR(parse(R"({"partitions": 2, "ddp": true, "ddp_port": -1})"), UsageError, at + "ddp_port: expected an integer >= 0");
  EXPECT_ERROR(parse(R"({"partitions": 2, "ddp_dist_backend": "nccl"})"), UsageError, at + "ddp_dist_backend: needs ddp True");
  EXPECT_ERROR(parse(R"({"partitions": 2, "ddp": true, "ddp_dist_backend": "gloo"})"), UsageError,
               at + "ddp_dist_backend: expected one of \"auto\", \"nccl\"");
  EXPECT_ERROR(parse(R"({"partitions": 2, "active_microbatches": 0})"), UsageError, at + "active_microbatches: expected an integer >= 1");
  EXPECT_ERROR(parse(R"({"partitions": 2, "auto_partition": false})"), UsageError,
               at + "default_partition: required when auto_partition is False");
  EXPECT_ERROR(parse(R"({"partitions": 2, "default_partition": 2})"), UsageError,
               at + "default_partition: expected a partition index below partitions 2, got 2");
  EXPECT_ERROR(parse(R"({"partitions": 2, "virtual_stages": 0})"), UsageError, at + "virtual_stages: expected an integer >= 1");
  EXPECT_ERROR(parse(R"({"partitions": 2, "zero_bubble": true, "pipeline": "simple"})"), UsageError,
               at + "zero_bubble: needs pipeline \"interleaved\"");
  EXPECT_ERROR(parse(R"({"partitions": 2, "zero_bubble": true, "virtual_stages": 3})"), UsageError,
               at + "zero_bubble: needs virtual_stages 1 (ZB-H1) or 2 (the V-shaped ZB-V), got 3");
  EXPECT_ERROR(parse(R"({"partitions": 2, "contiguous": 1})"), UsageError, at + "contiguous: expected true or false");
  EXPECT_ERROR(parse(R"({"partitions": 2, "partition_file": 3})"), UsageError, at + "partition_file: expected a string");
  EXPECT_ERROR(parse(R"([2])"), UsageError, "distribution: smdistributed.modelparallel.parameters: expected a JSON object");
}

TEST(ModelParallel, UnimplementedSmpFeaturesAreRefusedUnlessDefault) {
  const std::string at = "distribution: smdistributed.modelparallel.parameters.";
  EXPECT_ERROR(parse(R"({"partitions": 2, "tensor_parallel_degree": 2})"), UsageError,
               at + "tensor_parallel_degree: 2 is not supported yet (tandem supports only 1)");
  EXPECT_ERROR(parse(R"({"partitions": 2, "sharded_data_parallel_degree": 4})"), UsageError,
               at + "sharded_data_parallel_degree: 4 is not supported yet");
  for (const char* key : {"offload_activations", "fp16", "fp16_params", "bf16", "shard_optimizer_state", "load_partition"}) {
    EXPECT_ERROR(parse(std::string(R"({"partitions": 2, ")") + key + R"(": true})"), UsageError,
                 at + key + ": true is not supported yet (tandem supports only false)");
    EXPECT_NO_THROW(parse(std::string(R"({"partitions": 2, ")") + key + R"(": false})"));
  }
}

TEST(MpParametersArg, ReadsTheToolkitCommandLineForm) {
  const auto mp = parse_mp_parameters_arg(
      "ddp=True,microbatches=4,optimize=speed,partitions=2,pipeline=interleaved,placement_strategy=spread,memory_weight=0.5");
  EXPECT_TRUE(mp.ddp);
  EXPECT_EQ(mp.microbatches, 4);
  EXPECT_EQ(mp.optimize, "speed");
  EXPECT_EQ(mp.pp_size, 2);
  EXPECT_EQ(mp.placement_strategy, "spread");
  EXPECT_DOUBLE_EQ(mp.memory_weight, 0.5);
  EXPECT_EQ(mp.given, json::parse(R"({"ddp": true, "microbatches": 4, "optimize": "speed", "partitions": 2,
      "pipeline": "interleaved", "placement_strategy": "spread", "memory_weight": 0.5})"));
}

TEST(MpParametersArg, AllSourcesGiveTheSameParameters) {
  const auto from_arg = parse_mp_parameters_arg("ddp=True,microbatches=4,partitions=2,zero_bubble=False");
  const auto from_json = parse_model_parallel(json::parse(R"({"ddp": true, "microbatches": 4, "partitions": 2,
      "zero_bubble": false})"), {"SM_HP_MP_PARAMETERS", ""});
  EXPECT_EQ(from_arg.given, from_json.given);
  EXPECT_EQ(from_arg.active_microbatches, from_json.active_microbatches);
  EXPECT_EQ(from_arg.ddp, from_json.ddp);
}

TEST(MpParametersArg, ErrorsNameTheKey) {
  EXPECT_ERROR(parse_mp_parameters_arg("partitions=2,microbatches=four"), UsageError,
               "--mp_parameters: microbatches: expected an integer, got \"four\"");
  EXPECT_ERROR(parse_mp_parameters_arg("partitions=2,ddp=yes"), UsageError, "--mp_parameters: ddp: expected True or False, got \"yes\"");
  EXPECT_ERROR(parse_mp_parameters_arg("partitions=2,memory_weight=heavy"), UsageError,
               "--mp_parameters: memory_weight: expected a number, got \"heavy\"");
  EXPECT_ERROR(parse_mp_parameters_arg("partitions=2,partition=3"), UsageError,
               "--mp_parameters: unknown key \"partition\" (expected one of: partitions,");
  EXPECT_ERROR(parse_mp_parameters_arg("partitions=2,microbatches"), UsageError,
               "--mp_parameters: expected key=value pairs separated by ',', got \"microbatches\"");
  EXPECT_ERROR(parse_mp_parameters_arg("partitions=2,partitions=4"), UsageError, "--mp_parameters: partitions: given twice");
  EXPECT_ERROR(parse_mp_parameters_arg(""), UsageError, "--mp_parameters: partitions: required");
}

TEST(CheckPartitionsDivide, NamesPartitionsAndTheWorld) {
  const auto mp = parse(R"({"partitions": 3})");
  EXPECT_NO_THROW(check_partitions_divide(mp, 6, "6 processes"));
  EXPECT_ERROR(check_partitions_divide(mp, 16, "16 processes (instance_count 2 x processes_per_host 8)"), UsageError,
               "partitions: 3 pipeline stages do not divide 16 processes (instance_count 2 x processes_per_host 8)");
}

}  // namespace
}  // namespace tandem::launcher
