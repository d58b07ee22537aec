// Rows of the bad-input table (bad_input_table.h) for what a user types or
// writes as JSON: the flags of train, plan, launch and bench; the distribution
// dict and --mp_parameters; the job file of `tandem launch`.
#include "tests/e2e/bad_input_table.h"
#include "tests/e2e/launch_jobs.h"

namespace tandem::e2e {
namespace {

BadInputCase train_row(std::string name, std::vector<std::string> changes, int code, std::string message) {
  return {std::move(name), tiny_train_with(changes), code, std::move(message)};
}

// `tandem plan --distribution DICT` (no model is built: the plan is pure arithmetic).
BadInputCase plan_row(std::string name, std::string dict, std::string message) {
  return {std::move(name), {"plan", "--distribution", std::move(dict), "--model_name_or_path", "gpt-tiny"}, 2,
          std::move(message)};
}

// `tandem launch job.json --dry-run` over a job file written as this text.
BadInputCase job_row(std::string name, std::string job_text, int code, std::string message) {
  return {std::move(name), {"launch", "@job.json", "--dry-run"}, code, std::move(message),
          [text = std::move(job_text)](const TempDir& d) { d.write("job.json", text); }};
}

// The valid tiny job of launch_jobs.h with `patch` merged in, as text.
std::string tiny_job_with(const std::string& patch) {
  auto job = tiny_job(1, 1);
  job.merge_patch(nlohmann::json::parse(patch));
  return job.dump();
}

INSTANTIATE_TEST_SUITE_P(
    Flags, BadInput,
    ::testing::Values(
        train_row("TrainUnknownHyperparameter", {"--learning_rte", "0.1"}, 2, "unknown hyperparameter --learning_rte"),
        train_row("TrainLearningRateNotANumber", {"--learning_rate", "fast"}, 2, "--learning_rate: \"fast\""),
        train_row("TrainLearningRateNaN", {"--learning_rate", "nan"}, 2, "--learning_rate"),
        train_row("TrainLearningRateNegative", {"--learning_rate", "-0.1"}, 2, "--learning_rate"),
        train_row("TrainAdamEpsilonZero", {"--adam_epsilon", "0"}, 2, "--adam_epsilon"),
        train_row("TrainMaxStepsBeyondInt", {"--max_steps", "99999999999"}, 2, "--max_steps"),
        train_row("TrainSaveTotalLimitBelowMinusOne", {"--save_total_limit", "-2"}, 2,
                  "--save_total_limit: \"-2\" is out of range (expected an integer >= -1)"),
        train_row("TrainBooleanNotTrueOrFalse", {"--bf16", "yes"}, 2, "--bf16"),
        train_row("TrainFlagWithoutValue", {"--seed"}, 2, "--seed"),
        train_row("TrainBlockSizeAboveMaxPosition", {"--block_size", "4096"}, 2,
                  "--block_size 4096 exceeds max_position 256 of model gpt-tiny"),
        train_row("TrainBatchDoesNotFit", {"--per_device_train_batch_size", "100000"}, 2,
                  "the global batch of 100000 examples does not fit"),
        train_row("TrainUnknownPreset", {"--model_name_or_path", "gpt-huge"}, 2, "unknown preset \"gpt-huge\""),
        train_row("TrainTaskDoesNotFitModel", {"--task", "classification"}, 2, "does not fit model gpt-tiny"),
        train_row("TrainBf16AndFp16", {"--bf16", "True", "--fp16", "True"}, 2, "choose one mixed precision"),
        // An int conversion out of range was undefined: 0 steps, an untrained model, exit 0.
        train_row("TrainEpochsBeyondAnyStepCount", {"--max_steps", "-1", "--epochs", "1e12"}, 2, "--epochs 1e+12: makes "),
        BadInputCase{"UnknownCommand", {"trian"}, 2, "unknown command \"trian\""},
        BadInputCase{"PlanWithoutADistribution", {"plan"}, 2, "--distribution"},
        BadInputCase{"PlanInstanceCountZero", {"plan", "--mp_parameters", "partitions=2", "--instance_count", "0"}, 2,
                     "--instance_count: \"0\""},
        BadInputCase{"LaunchUnknownFlag", {"launch", "@job.json", "--dry_run"}, 2, "unknown flag --dry_run",
                     [](const TempDir& d) { d.write("job.json", tiny_job(1, 1).dump()); }},
        BadInputCase{"LaunchMissingJobFile", {"launch", "@nope.json", "--dry-run"}, 1, "nope.json"},
        BadInputCase{"BenchWithoutOutputDir", {"bench"}, 2, "--output_dir: required when measuring"},
        BadInputCase{"BenchUnknownStrategy", {"bench", "--output_dir", "out", "--strategies", "nope"}, 2,
                     "--strategies: unknown strategy \"nope\""},
        BadInputCase{"BenchBadTrainFlag", {"bench", "--output_dir", "out", "--learning_rate", "fast"}, 2,
                     "--learning_rate: \"fast\" is not a number"},
        BadInputCase{"BenchUnknownCluster", {"bench", "--predict", "True", "--cluster", "ml.x9.huge", "--distribution", R"({"mpi": {"enabled": true}})"},
                     2, "--cluster: unknown instance type \"ml.x9.huge\""}),
    bad_input_case_name);

INSTANTIATE_TEST_SUITE_P(
    Distribution, BadInput,
    ::testing::Values(
        plan_row("NaNPartitions", mp_dict(R"({"partitions": NaN})"), "distribution: not valid JSON: line 1, column 79: NaN and Infinity"),
        plan_row("InfinityMicrobatches", mp_dict(R"({"partitions": 2, "microbatches": -Infinity})"),
                 "distribution: not valid JSON: line 1, column 99: NaN and Infinity are not JSON numbers"),
        plan_row("MemoryWeightBeyondDouble", mp_dict(R"({"partitions": 2, "memory_weight": 1e400})"),
                 "distribution: not valid JSON: the number 1e400 is beyond the range of a double"),
        plan_row("NegativePartitions", mp_dict(R"({"partitions": -2})"), "partitions"),
        plan_row("PartitionsAsText", mp_dict(R"({"partitions": "two"})"), "partitions"),
        plan_row("PartitionsBeyondInt", mp_dict(R"({"partitions": 99999999999999999999})"), "partitions"),
        plan_row("UnknownParameter", mp_dict(R"({"partitions": 2, "partition": 2})"), "unknown key"),
        plan_row("UnknownStrategy", R"({"pytorchddp": {"enabled": true}})", "unknown key \"pytorchddp\""),
        plan_row("EnabledNotABoolean", R"({"mpi": {"enabled": "yes"}})", "mpi.enabled"),
        plan_row("NotAnObject", "[1, 2]", "distribution: \"[1, 2]\" is neither a JSON object ({...}) nor a file that exists"),
        BadInputCase{"MpParametersWithoutValue", {"plan", "--mp_parameters", "partitions"}, 2, "--mp_parameters"},
        BadInputCase{"MpParametersNaN", {"plan", "--mp_parameters", "partitions=2,memory_weight=nan"}, 2, "memory_weight"},
        BadInputCase{"MpParametersUnknownKey", {"plan", "--mp_parameters", "partitions=2,colour=red"}, 2, "colour"},
        BadInputCase{"DistributionFileMissing", {"plan", "--distribution", "@no-such-dict.json"}, 2,
                     "no-such-dict.json\" is neither a JSON object ({...}) nor a file that exists"},
        train_row("TrainDictWithNaN", {"--distribution", mp_dict(R"({"partitions": NaN})")}, 2,
                  "distribution: not valid JSON: line 1, column 79: NaN and Infinity are not JSON numbers")),
    bad_input_case_name);

INSTANTIATE_TEST_SUITE_P(
    JobFile, BadInput,
    ::testing::Values(job_row("NotJson", "{\"instance_count\": 1,", 2, "job.json"),
                      job_row("InstanceCountNaN", R"({"instance_type": "local_cpu", "instance_count": NaN})", 2,
                              "job.json: not valid JSON: line 1, column 50: NaN and Infinity are not JSON numbers"),
                      job_row("MaxRunBeyondDouble", tiny_job_with("{}").replace(0, 1, R"({"max_run": 1e400,)"), 2,
                              "job.json: not valid JSON: the number 1e400 is beyond the range of a double"),
                      job_row("InstanceCountAsText", tiny_job_with(R"({"instance_count": "2"})"), 2, "instance_count"),
                      job_row("InstanceCountNegative", tiny_job_with(R"({"instance_count": -1})"), 2, "instance_count"),
                      job_row("HyperparametersNotAnObject", tiny_job_with(R"({"hyperparameters": [1, 2]})"), 2,
                              "hyperparameters"),
                      job_row("MaxRunNegative", tiny_job_with(R"({"max_run": -5})"), 2, "max_run"),
                      job_row("InputsNotAnObject", tiny_job_with(R"({"inputs": "data"})"), 2, "inputs")),
    bad_input_case_name);

}  // namespace
}  // namespace tandem::e2e
