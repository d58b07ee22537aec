#include "launcher/distribution/distribution.h"

#include <gtest/gtest.h>

#include "engine/error.h"
#include "tests/common/error_matchers.h"
#include "tests/common/temp_dir.h"

namespace tandem::launcher {
namespace {

using nlohmann::json;
using Strategy = Distribution::Strategy;

const char* kSmp = R"({"smdistributed": {"modelparallel": {"enabled": true,
    "parameters": {"partitions": 2, "microbatches": 4, "ddp": true}}},
    "mpi": {"enabled": true, "processes_per_host": 8, "custom_mpi_options": "--NCCL_DEBUG WARN"}})";

TEST(ParseDistribution, ModelParallel) {
  const auto d = parse_distribution(json::parse(kSmp));
  EXPECT_EQ(d.strategy, Strategy::ModelParallel);
  EXPECT_TRUE(d.mpi_enabled);
  EXPECT_EQ(d.processes_per_host, 8);
  EXPECT_EQ(d.custom_mpi_options, "--NCCL_DEBUG WARN");
  ASSERT_TRUE(d.mp);
  EXPECT_EQ(d.mp->pp_size, 2);
  EXPECT_EQ(d.mp->microbatches, 4);
}

TEST(ParseDistribution, DataParallelAndPlainMpiAndNone) {
  const auto dp = parse_distribution(json::parse(
      R"({"smdistributed": {"dataparallel": {"enabled": true, "custom_mpi_options": "-verbose -x NCCL_DEBUG=VERSION"}}})"));
  EXPECT_EQ(dp.strategy, Strategy::DataParallel);
  EXPECT_EQ(dp.dataparallel_custom_mpi_options, "-verbose -x NCCL_DEBUG=VERSION");
  EXPECT_FALSE(dp.mp);

  const auto mpi = parse_distribution(json::parse(R"({"mpi": {"enabled": true}})"));
  EXPECT_EQ(mpi.strategy, Strategy::None);
  EXPECT_TRUE(mpi.mpi_enabled);
  EXPECT_EQ(mpi.processes_per_host, 0);

  EXPECT_EQ(parse_distribution(json::object()).strategy, Strategy::None);
  // A disabled strategy is ignored, parameters and all.
  EXPECT_EQ(parse_distribution(json::parse(R"({"smdistributed": {"modelparallel": {"enabled": false}}})")).strategy,
            Strategy::None);
}

TEST(ParseDistribution, ParametersFromAFile) {
  const TempDir temp;
  const auto dir = temp.path();
  temp.write("mp.json", R"({"partitions": 4, "pipeline": "simple"})");
  temp.write("bad.json", R"({"partition": 4})");
  const auto d = parse_distribution(json::parse(R"({"smdistributed": {"modelparallel": {"enabled": true,
      "parameters": "mp.json"}}, "mpi": {"enabled": true}})"), dir);
  ASSERT_TRUE(d.mp);
  EXPECT_EQ(d.mp->pp_size, 4);
  EXPECT_EQ(d.mp->pipeline, "simple");
  EXPECT_ERROR(parse_distribution(json::parse(R"({"smdistributed": {"modelparallel": {"enabled": true,
      "parameters": "bad.json"}}, "mpi": {"enabled": true}})"), dir), UsageError, "unknown key \"partition\"");
  EXPECT_ERROR(parse_distribution(json::parse(R"({"smdistributed": {"modelparallel": {"enabled": true,
      "parameters": "missing.json"}}, "mpi": {"enabled": true}})"), dir), RuntimeFailure, "missing.json: cannot open");
}

TEST(ParseDistribution, EveryValidationErrorNamesTheKey) {
  EXPECT_ERROR(parse_distribution(json::parse(R"({"torch_distributed": {"enabled": true}})")), UsageError,
               "distribution: unknown key \"torch_distributed\" (expected one of: smdistributed, mpi)");
  EXPECT_ERROR(parse_distribution(json::parse(R"({"mpi": {"enabled": true, "process_per_host": 8}})")), UsageError,
               "distribution: unknown key \"mpi.process_per_host\" (expected one of: enabled, processes_per_host, custom_mpi_options)");
  EXPECT_ERROR(parse_distribution(json::parse(R"({"smdistributed": {"pipeline": {}}})")), UsageError,
               "distribution: unknown key \"smdistributed.pipeline\" (expected one of: modelparallel, dataparallel)");
  EXPECT_ERROR(parse_distribution(json::parse(R"({"smdistributed": {"dataparallel": {"enabled": true, "x": 1}}})")),
               UsageError, "distribution: unknown key \"smdistributed.dataparallel.x\"");
  EXPECT_ERROR(parse_distribution(json::parse(R"({"smdistributed": {"modelparallel": {"enabled": true, "params": {}}},
      "mpi": {"enabled": true}})")), UsageError, "distribution: unknown key \"smdistributed.modelparallel.params\"");
  EXPECT_ERROR(parse_distribution(json::parse(R"({"smdistributed": {"modelparallel": {"enabled": true, "parameters": {"partitions": 2}},
      "dataparallel": {"enabled": true}}, "mpi": {"enabled": true}})")), UsageError,
               "distribution: smdistributed: Cannot use more than 1 smdistributed strategy");
  EXPECT_ERROR(parse_distribution(json::parse(R"({"smdistributed": {"modelparallel": {"enabled": true,
      "parameters": {"partitions": 2}}}})")), UsageError,
               "distribution: smdistributed.modelparallel: Cannot use Model Parallelism without MPI enabled");
  EXPECT_ERROR(parse_distribution(json::parse(R"({"smdistributed": {"modelparallel": {"enabled": true}},
      "mpi": {"enabled": true}})")), UsageError, "distribution: smdistributed.modelparallel.parameters: required");
  EXPECT_ERROR(parse_distribution(json::parse(R"({"smdistributed": {"dataparallel": {"enabled": true}},
      "mpi": {"enabled": true}})")), UsageError, "distribution: smdistributed.dataparallel: cannot be combined with mpi.enabled");
  EXPECT_ERROR(parse_distribution(json::parse(R"({"mpi": true})")), UsageError, "distribution: mpi: expected a JSON object, got true");
  EXPECT_ERROR(parse_distribution(json::parse(R"({"smdistributed": []})")), UsageError,
               "distribution: smdistributed: expected a JSON object");
  EXPECT_ERROR(parse_distribution(json::parse(R"({"smdistributed": {"dataparallel": "on"}})")), UsageError,
               "distribution: smdistributed.dataparallel: expected a JSON object");
  EXPECT_ERROR(parse_distribution(json::parse(R"({"mpi": {"enabled": "true"}})")), UsageError,
               "distribution: mpi.enabled: expected true or false");
  EXPECT_ERROR(parse_distribution(json::parse(R"({"mpi": {"enabled": true, "processes_per_host": 0}})")), UsageError,
               "distribution: mpi.processes_per_host: expected an integer >= 1, got 0");
  EXPECT_ERROR(parse_distribution(json::parse(R"({"mpi": {"enabled": true, "custom_mpi_options": ["-v"]}})")), UsageError,
               "distribution: mpi.custom_mpi_options: expected a string");
  EXPECT_ERROR(parse_distribution(json::parse(R"("smdistributed")")), UsageError, "distribution: expected a JSON object");
}

TEST(ParseDistributionArg, JsonTextOrFile) {
  EXPECT_EQ(parse_distribution_arg(kSmp).mp->pp_size, 2);
  EXPECT_ERROR(parse_distribution_arg("{\"mpi\": "), UsageError, "distribution: not valid JSON");
  // Neither a dict nor a file: the flag's value is wrong (exit 2), and the line says what it should be.
  EXPECT_ERROR(parse_distribution_arg("/nonexistent/dist.json"), UsageError,
               "distribution: \"/nonexistent/dist.json\" is neither a JSON object ({...}) nor a file that exists");
  EXPECT_ERROR(parse_distribution_arg("[1, 2]"), UsageError, "\"[1, 2]\" is neither a JSON object");
  EXPECT_ERROR(parse_distribution_arg(R"({"mpi": {"processes_per_host": NaN}})"), UsageError,
               "distribution: not valid JSON: line 1, column 32: NaN and Infinity are not JSON numbers");
  EXPECT_ERROR(parse_distribution_arg(R"({"mpi": {"processes_per_host": 1e400}})"), UsageError,
               "distribution: not valid JSON: the number 1e400 is beyond the range of a double");
}

// The SDK's _distribution_configuration (docs/sagemaker-contract.md §1.1, §2.1).
TEST(DistributionHyperparameters, MatchTheSdk) {
  EXPECT_EQ(distribution_hyperparameters(parse_distribution(json::parse(kSmp)), "ml.p4d.24xlarge"),
            json::parse(R"({"sagemaker_mpi_enabled": true, "sagemaker_mpi_num_of_processes_per_host": 8,
                "sagemaker_mpi_custom_mpi_options": "--NCCL_DEBUG WARN",
                "mp_parameters": {"partitions": 2, "microbatches": 4, "ddp": true},
                "sagemaker_distributed_dataparallel_enabled": false, "sagemaker_instance_type": "ml.p4d.24xlarge"})"));
  EXPECT_EQ(distribution_hyperparameters(parse_distribution(json::parse(
                R"({"smdistributed": {"dataparallel": {"enabled": true, "custom_mpi_options": "-verbose"}}})")),
                                         "ml.p4d.24xlarge"),
            json::parse(R"({"sagemaker_distributed_dataparallel_enabled": true, "sagemaker_instance_type": "ml.p4d.24xlarge",
                "sagemaker_distributed_dataparallel_custom_mpi_options": "-verbose"})"));
  EXPECT_EQ(distribution_hyperparameters(Distribution{}, "local"), json::object());
}

TEST(DistributionFromHyperparameters, RoundTripsTheDict) {
  const auto original = parse_distribution(json::parse(kSmp));
  auto hps = distribution_hyperparameters(original, "ml.p4d.24xlarge");
  hps["epochs"] = 3;
  const auto d = distribution_from_hyperparameters(hps);
  EXPECT_EQ(d.strategy, Strategy::ModelParallel);
  EXPECT_TRUE(d.mpi_enabled);
  EXPECT_EQ(d.processes_per_host, 8);
  EXPECT_EQ(d.custom_mpi_options, "--NCCL_DEBUG WARN");
  EXPECT_EQ(d.instance_type, "ml.p4d.24xlarge");
  EXPECT_EQ(d.mp->given, original.mp->given);
  EXPECT_ERROR(distribution_from_hyperparameters(json::parse(R"({"sagemaker_mpi_enabled": true, "mp_parameters": {"partition": 2}})")),
               UsageError, "hyperparameters: unknown key \"mp_parameters.partition\"");
}

TEST(DistributionFromEnvironment, ReadsFrameworkParamsAndMpParameters) {
  const Env env{{"SM_FRAMEWORK_PARAMS", R"({"sagemaker_distributed_dataparallel_enabled":false,"sagemaker_instance_type":"ml.p4d.24xlarge","sagemaker_mpi_custom_mpi_options":"","sagemaker_mpi_enabled":true,"sagemaker_mpi_num_of_processes_per_host":8})"},
                 {"SM_HP_MP_PARAMETERS", R"({"ddp":true,"microbatches":4,"optimize":"speed","partitions":2,"pipeline":"interleaved","placement_strategy":"spread"})"}};
  const auto d = distribution_from_environment(env);
  EXPECT_EQ(d.strategy, Strategy::ModelParallel);
  EXPECT_EQ(d.processes_per_host, 8);
  EXPECT_EQ(d.instance_type, "ml.p4d.24xlarge");
  EXPECT_EQ(d.mp->placement_strategy, "spread");
  EXPECT_DOUBLE_EQ(d.mp->memory_weight, 0.2);

  const auto dp = distribution_from_environment(Env{{"SM_CURRENT_INSTANCE_TYPE", "ml.p3.16xlarge"},
      {"SM_FRAMEWORK_PARAMS", R"({"sagemaker_distributed_dataparallel_enabled":true,"sagemaker_distributed_dataparallel_custom_mpi_options":"-v"})"}});
  EXPECT_EQ(dp.strategy, Strategy::DataParallel);
  EXPECT_EQ(dp.dataparallel_custom_mpi_options, "-v");
  EXPECT_EQ(dp.instance_type, "ml.p3.16xlarge");

  // The toolkit's rule: SM_HP_MP_PARAMETERS of {} is not model parallelism.
  EXPECT_EQ(distribution_from_environment(Env{{"SM_HP_MP_PARAMETERS", "{}"}}).strategy, Strategy::None);
  EXPECT_EQ(distribution_from_environment(Env()).strategy, Strategy::None);
}

TEST(DistributionFromEnvironment, ErrorsNameTheVariable) {
  EXPECT_ERROR(distribution_from_environment(Env{{"SM_FRAMEWORK_PARAMS", "{"}}), UsageError, "SM_FRAMEWORK_PARAMS: not valid JSON");
  EXPECT_ERROR(distribution_from_environment(Env{{"SM_FRAMEWORK_PARAMS", R"({"sagemaker_mpi_enabled":"yes"})"}}), UsageError,
               "SM_FRAMEWORK_PARAMS: sagemaker_mpi_enabled: expected true or false, got \"yes\"");
  EXPECT_ERROR(distribution_from_environment(Env{{"SM_FRAMEWORK_PARAMS", R"({"sagemaker_mpi_num_of_processes_per_host":0})"}}),
               UsageError, "SM_FRAMEWORK_PARAMS: sagemaker_mpi_num_of_processes_per_host: expected an integer >= 1");
  EXPECT_ERROR(distribution_from_environment(Env{{"SM_HP_MP_PARAMETERS", R"({"partitions":2})"}}), UsageError,
               "SM_HP_MP_PARAMETERS: Cannot use Model Parallelism without MPI enabled");
  EXPECT_ERROR(distribution_from_environment(Env{{"SM_FRAMEWORK_PARAMS", R"({"sagemaker_mpi_enabled":true})"},
                                                  {"SM_HP_MP_PARAMETERS", R"({"partitions":2,"pipeline":"gpipe"})"}}),
               UsageError, "SM_HP_MP_PARAMETERS: pipeline: expected one of");
  EXPECT_ERROR(distribution_from_environment(Env{{"SM_FRAMEWORK_PARAMS", R"({"sagemaker_mpi_enabled":true,"sagemaker_distributed_dataparallel_enabled":true})"},
                                                  {"SM_HP_MP_PARAMETERS", R"({"partitions":2})"}}),
               UsageError, "Cannot use more than 1 smdistributed strategy");
}

}  // namespace
}  // namespace tandem::launcher
