// Rows of the bad-input table (bad_input_table.h) for files tandem reads: a
// model folder's config.json and model.safetensors, checkpoint folders, the
// data channels (.txt, .jsonl, .bin), and SageMaker's SM_* variables and
// /opt/ml/input/config files.
#include "tests/e2e/bad_input_table.h"

#include <algorithm>
#include <filesystem>

namespace tandem::e2e {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

using Prepare = std::function<void(const TempDir&)>;

BadInputCase train_row(std::string name, std::vector<std::string> changes, int code, std::string message,
                       Prepare prepare, std::vector<std::string> env = {}) {
  return {std::move(name), tiny_train_with(changes), code, std::move(message), std::move(prepare), std::move(env)};
}

std::vector<std::string> without_flag(std::vector<std::string> args, const std::string& flag) {
  const auto at = std::find(args.begin(), args.end(), flag);
  if (at != args.end()) args.erase(at, at + 2);
  return args;
}

// ---- config.json: a GPT-2 folder m/ whose config has `field` set to `value` (JSON text).
BadInputCase config_row(std::string name, std::string field, std::string value, std::string message) {
  return train_row(std::move(name), {"--model_name_or_path", "@m"}, 2, std::move(message),
                   [field, value](const TempDir& d) {
                     write_gpt_config(d, "m", 256);
                     json config = json::parse(d.read("m/config.json"));
                     config[field] = json::parse(value);
                     d.write("m/config.json", config.dump());
                   });
}

// ---- safetensors: m/ holds gpt-tiny's shape as a GPT-2 config and these bytes as model.safetensors.
BadInputCase weights_row(std::string name, std::string bytes, std::string message) {
  return train_row(std::move(name), {"--model_name_or_path", "@m"}, 1, std::move(message),
                   [bytes = std::move(bytes)](const TempDir& d) {
                     write_gpt_config(d, "m", 256);
                     d.write("m/model.safetensors", bytes);
                   });
}

// A tensor entry of a safetensors header.
std::string entry(const std::string& name, const std::string& dtype, const std::string& shape, uint64_t begin,
                  uint64_t end) {
  return "\"" + name + "\": {\"dtype\": \"" + dtype + "\", \"shape\": " + shape + ", \"data_offsets\": [" +
         std::to_string(begin) + ", " + std::to_string(end) + "]}";
}

// 2000 entries sharing one 64 KiB range: each would be allocated separately if overlap went unchecked.
std::string many_entries_sharing_one_range() {
  std::string header = "{";
  for (int i = 0; i < 2000; ++i) header += (i ? ", " : "") + entry("t" + std::to_string(i), "F32", "[16384]", 0, 65536);
  return header + "}";
}

// ---- checkpoints: ckpt/ holds a real checkpoint of a 1-step gpt-tiny run
// (`changes` to that run), made by the binary itself; the row's run then resumes it.
void train_one_checkpoint(const TempDir& d, const std::vector<std::string>& changes) {
  std::vector<std::string> args = tiny_train_with({"--max_steps", "1"});
  for (size_t i = 0; i + 1 < changes.size(); i += 2) args = with_flag(args, changes[i], changes[i + 1]);
  for (auto& a : args)
    if (a.rfind("@", 0) == 0) a = d.file(a.substr(1));
  const auto r = run_tandem(args, d.path().string());
  if (r.exit_code != 0) throw std::runtime_error("making the checkpoint failed: " + r.err);
  fs::remove_all(d.file("model"));
  fs::remove_all(d.file("out"));
}

// ---- data channels: bad/ holds `file` with `content`, as the training channel.
BadInputCase data_row(std::string name, std::string file, std::string content, std::string message,
                      std::vector<std::string> changes = {}) {
  changes.insert(changes.end(), {"--training_dir", "@bad"});
  return train_row(std::move(name), changes, 1, std::move(message),
                   [file, content = std::move(content)](const TempDir& d) { d.write("bad/" + file, content); });
}

// A classification channel of encoder-tiny whose second line has this label.
BadInputCase label_row(std::string name, std::string label, std::string message) {
  return data_row(std::move(name), "d.jsonl",
                  "{\"text\": \"good\", \"label\": 0}\n{\"text\": \"bad\", \"label\": " + label + "}\n" +
                      "{\"text\": \"fine\", \"label\": 1}\n",
                  std::move(message), {"--model_name_or_path", "encoder-tiny", "--task", "classification"});
}

// ---- /opt/ml as SageMaker writes it, with `file` replaced by `content`; launch runs as the container's entry point.
BadInputCase opt_ml_row(std::string name, std::string file, std::string content, std::string message) {
  return {std::move(name), {"launch", "--sagemaker", "--opt_ml", "@opt_ml", "--dry-run"}, 1, std::move(message),
          [file, content = std::move(content)](const TempDir& d) {
            d.write("opt_ml/input/config/resourceconfig.json",
                    R"({"current_host": "algo-1", "hosts": ["algo-1", "algo-2"], "network_interface_name": "eth0"})");
            d.write("opt_ml/input/config/hyperparameters.json",
                    R"({"sagemaker_program": "\"tandem train\"", "max_steps": "2"})");
            d.write("opt_ml/input/config/inputdataconfig.json", R"({"train": {"TrainingInputMode": "File"}})");
            d.write("opt_ml/input/config/" + file, content);
          }};
}

INSTANTIATE_TEST_SUITE_P(
    ModelConfig, BadInput,
    ::testing::Values(
        train_row("NotJson", {"--model_name_or_path", "@m"}, 2, "config.json: not valid JSON",
                  [](const TempDir& d) { d.write("m/config.json", "{not json"); }),
        train_row("NaNEpsilon", {"--model_name_or_path", "@m"}, 2, "config.json: not valid JSON",
                  [](const TempDir& d) {
                    write_gpt_config(d, "m", 256);
                    std::string text = d.read("m/config.json");
                    d.write("m/config.json", text.insert(text.find('{') + 1, "\"layer_norm_epsilon\": NaN, "));
                  }),
        config_row("LayerCountBoolean", "n_layer", "true", "\"n_layer\" must be an integer, got true"),
        config_row("LayerCountText", "n_layer", "\"2\"", "n_layer"),
        config_row("HeadsNegative", "n_head", "-2", "n_head must be positive, got -2"),
        config_row("WidthBeyondMemory", "n_embd", "1073741824", "m/config.json: the model's sizes"),
        config_row("VocabularyBeyondInt", "vocab_size", "99999999999", "vocab_size"),
        train_row("VocabularyBelowTheData", {"--model_name_or_path", "@m"}, 1, "the model's vocabulary holds 10",
                  [](const TempDir& d) { write_gpt_config(d, "m", 10); }),
        train_row("LabelNamesNotAnObject", {"--model_name_or_path", "@m"}, 2, "id2label",
                  [](const TempDir& d) {
                    write_bert_config(d, "m");
                    json config = json::parse(d.read("m/config.json"));
                    config["id2label"] = {"neg", "pos"};
                    d.write("m/config.json", config.dump());
                  }),
        train_row("TokenizerNotJson", {"--model_name_or_path", "@m"}, 1, "m/tokenizer.json: not valid JSON",
                  [](const TempDir& d) {
                    write_gpt_config(d, "m", 256);
                    d.write("m/tokenizer.json", "{\"model\": ");
                  }),
        config_row("UnknownModelType", "model_type", "\"llama\"", "llama")),
    bad_input_case_name);

INSTANTIATE_TEST_SUITE_P(
    Safetensors, BadInput,
    ::testing::Values(
        weights_row("ShorterThanTheLengthWord", "abc", "model.safetensors: too short"),
        weights_row("HeaderLengthBeyondFile", safetensors_bytes("{}", 0, 1'000'000'000'000), "header length"),
        weights_row("HeaderNotJson", safetensors_bytes("{\"a\": ", 0), "not valid JSON"),
        weights_row("DuplicateKeys",
                    safetensors_bytes("{" + entry("a", "F32", "[4]", 0, 16) + ", " + entry("a", "F32", "[4]", 16, 32) + "}", 32),
                    "repeats the key \"a\""),
        weights_row("TruncatedData", safetensors_bytes("{" + entry("transformer.wte.weight", "F32", "[256, 64]", 0, 65536) + "}", 100),
                    "transformer.wte.weight"),
        weights_row("OverlappingOffsets", safetensors_bytes(many_entries_sharing_one_range(), 65536), "overlaps"),
        weights_row("DtypeTimesShapeOverflows",
                    safetensors_bytes("{" + entry("a", "F32", "[4611686018427387904, 8]", 0, 16) + "}", 16), "overflows"),
        weights_row("IntegerWhereFloatWeightsBelong",
                    safetensors_bytes("{" + entry("transformer.wte.weight", "I64", "[256, 64]", 0, 131072) + "}", 131072),
                    "holds integer data")),
    bad_input_case_name);

INSTANTIATE_TEST_SUITE_P(
    Checkpoint, BadInput,
    ::testing::Values(
        train_row("FromAnotherModel", {"--model_name_or_path", "gpt-mini"}, 1, "cannot resume, model differs",
                  [](const TempDir& d) { train_one_checkpoint(d, {}); }),
        train_row("FromAnotherSeed", {"--seed", "7"}, 1, "seed", [](const TempDir& d) { train_one_checkpoint(d, {}); }),
        // Beside a checkpoint this run cannot resume: a folder whose step fits no integer (once a bare "stoi").
        train_row("HugeStepNumberInAFolderName", {"--model_name_or_path", "gpt-mini"}, 1, "cannot resume, model differs",
                  [](const TempDir& d) {
                    train_one_checkpoint(d, {});
                    d.write("ckpt/checkpoint-99999999999999999999999/trainer_state.json", "{}");
                  }),
        // A newer checkpoint with a garbled manifest is set aside; the one before it is the one resumed.
        BadInputCase{"GarbledManifestFallsBackToTheVerifiedOne",
                     tiny_train_with({"--model_name_or_path", "gpt-mini"}), 1, "cannot resume, model differs",
                     [](const TempDir& d) {
                       train_one_checkpoint(d, {});
                       fs::copy(d.file("ckpt/checkpoint-1"), d.file("ckpt/checkpoint-5"), fs::copy_options::recursive);
                       d.write("ckpt/checkpoint-5/manifest.json", "{\"files\": [");
                     },
                     {}, "checkpoint-5.damaged"},
        train_row("OutputDirIsAFile", {"--output_dir", "@ckpt-file"}, 2, "--output_dir: ",
                  [](const TempDir& d) { d.write("ckpt-file", "not a folder"); })),
    bad_input_case_name);

INSTANTIATE_TEST_SUITE_P(
    Data, BadInput,
    ::testing::Values(
        train_row("MissingChannel", {"--training_dir", "@nowhere"}, 1, "channel train: ", nullptr),
        train_row("EmptyChannel", {"--training_dir", "@empty"}, 1, "holds no .txt, .jsonl or .bin file",
                  [](const TempDir& d) { fs::create_directories(d.file("empty")); }),
        data_row("EmptyTextFile", "a.txt", "", "holds 0 tokens, fewer than one block"),
        data_row("JsonLineNotJson", "d.jsonl", "{\"text\": \"fine\"}\n{broken\n", "d.jsonl:2: not valid JSON"),
        data_row("JsonLineNotAnObject", "d.jsonl", "[1, 2, 3]\n", "d.jsonl:1"),
        data_row("JsonLineTextNotAString", "d.jsonl", "{\"text\": 5}\n", "d.jsonl:1"),
        data_row("JsonLineNaN", "d.jsonl", "{\"text\": \"a\", \"label\": NaN}\n", "d.jsonl:1: not valid JSON"),
        data_row("InputIdsBeyondTheVocabulary", "d.jsonl", "{\"input_ids\": [1, 2, 1000000000], \"label\": 0}\n", "d.jsonl:1",
                 {"--model_name_or_path", "encoder-tiny", "--task", "classification"}),
        label_row("LabelOfOneBillion", "1000000000", "d.jsonl:2: label 1000000000 is out of range"),
        label_row("LabelNegative", "-1", "d.jsonl:2"),
        label_row("LabelFractional", "1.5", "d.jsonl:2"),
        label_row("LabelsMixTextAndNumbers", "\"bad\"", "labels mix strings and integers"),
        data_row("ShardWithWrongMagic", "x.bin", std::string(2048, '\1'), "bad magic"),
        data_row("ShardShorterThanItsHeader", "x.bin", "0123456789", "x.bin: too short"),
        data_row("ShardCountBeyondTheFile", "x.bin", token_shard_bytes(20240520, 1, 2'000'000'000, {1, 2, 3, 4}),
                 "x.bin: header promises 2000000000 tokens"),
        data_row("ShardCountNegative", "x.bin", token_shard_bytes(20240520, 1, -4, {1, 2, 3, 4}), "x.bin"),
        data_row("ShardTokenBeyondTheVocabulary", "x.bin",
                 token_shard_bytes(20240520, 1, 64, std::vector<uint16_t>(64, 60000)), "x.bin")),
    bad_input_case_name);

INSTANTIATE_TEST_SUITE_P(
    SageMaker, BadInput,
    ::testing::Values(
        // SM_CHANNEL_TRAIN is --training_dir's default, so this row gives no --training_dir.
        BadInputCase{"ChannelVariableToNowhere", without_flag(tiny_train_with({}), "--training_dir"), 1,
                     "nowhere does not exist", nullptr, {"SM_CHANNEL_TRAIN=@nowhere"}},
        train_row("FrameworkParamsNotJson", {}, 2, "SM_FRAMEWORK_PARAMS", nullptr, {"SM_FRAMEWORK_PARAMS={\"sagemaker_mpi_enabled\": "}),
        train_row("FrameworkParamsWrongType", {}, 2, "SM_FRAMEWORK_PARAMS: sagemaker_mpi_enabled", nullptr,
                  {"SM_FRAMEWORK_PARAMS={\"sagemaker_mpi_enabled\": \"yes\"}"}),
        train_row("MpParametersVariableNaN", {}, 2, "SM_HP_MP_PARAMETERS", nullptr,
                  {"SM_FRAMEWORK_PARAMS={\"sagemaker_mpi_enabled\": true}", "SM_HP_MP_PARAMETERS={\"partitions\": NaN}"}),
        train_row("MpParametersVariableNotAnObject", {}, 2, "SM_HP_MP_PARAMETERS: expected a JSON object", nullptr,
                  {"SM_FRAMEWORK_PARAMS={\"sagemaker_mpi_enabled\": true}", "SM_HP_MP_PARAMETERS=[2]"}),
        opt_ml_row("ResourceConfigNotJson", "resourceconfig.json", "{\"current_host\": ", "resourceconfig.json"),
        opt_ml_row("ResourceConfigHostsNotAList", "resourceconfig.json", R"({"current_host": "algo-1", "hosts": "algo-1"})",
                   "hosts"),
        opt_ml_row("ResourceConfigHostIsAnOption", "resourceconfig.json",
                   R"({"current_host": "algo-1", "hosts": ["algo-1", "-oProxyCommand=touch x"]})", "is not a host name"),
        opt_ml_row("ResourceConfigCurrentHostUnlisted", "resourceconfig.json",
                   R"({"current_host": "algo-3", "hosts": ["algo-1", "algo-2"]})", "current_host"),
        opt_ml_row("HyperparametersNotJson", "hyperparameters.json", "{\"max_steps\": ", "hyperparameters.json"),
        opt_ml_row("HyperparameterNaN", "hyperparameters.json", R"({"sagemaker_program": "\"tandem train\"", "max_steps": NaN})",
                   "hyperparameters.json")),
    bad_input_case_name);

}  // namespace
}  // namespace tandem::e2e
