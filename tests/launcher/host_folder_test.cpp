#include "launcher/sagemaker/host_folder.h"

#include <gtest/gtest.h>

#include "engine/error.h"
#include "launcher/config/json_fields.h"
#include "tests/common/error_matchers.h"
#include "tests/common/temp_dir.h"

namespace tandem::launcher {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

ContainerConfig one_host_config() {
  ContainerConfig config;
  config.resource.current_host = "algo-1";
  config.resource.hosts = {"algo-1"};
  config.hyperparameters = json::parse(R"({"epochs": 1})");
  config.input_data_config = json::parse(R"({"train": {"TrainingInputMode": "File"}, "test": {"TrainingInputMode": "File"}})");
  return config;
}

TEST(WriteHostFolder, LaysOutOptMl) {
  const TempDir dir;
  const auto train = dir.write("data/train/part-0.txt", "hello");
  const auto test = dir.write("data/test.txt", "world");
  const auto root = dir.path() / "job" / "algo-1";
  write_host_folder(root, one_host_config(), {{"train", train.parent_path()}, {"test", test}}, ChannelData::Symlink);

  for (const char* sub : {"input/config", "input/data", "model", "output/data", "output/intermediate", "checkpoints", "code"}) {
    EXPECT_TRUE(fs::is_directory(root / sub)) << sub;
  }
  for (const char* file : {"hyperparameters.json", "resourceconfig.json", "inputdataconfig.json"}) {
    EXPECT_TRUE(fs::is_regular_file(root / "input/config" / file)) << file;
  }
  EXPECT_TRUE(fs::is_symlink(root / "input/data/train"));
  EXPECT_EQ(read_text_file(root / "input/data/train/part-0.txt"), "hello");
  EXPECT_TRUE(fs::is_symlink(root / "input/data/test/test.txt"));
  EXPECT_EQ(read_text_file(root / "input/data/test/test.txt"), "world");

  // Writing again refreshes the links and leaves the data alone.
  write_host_folder(root, one_host_config(), {{"train", train.parent_path()}, {"test", test}}, ChannelData::Symlink);
  EXPECT_EQ(read_text_file(train), "hello");
}

TEST(WriteHostFolder, CopyMode) {
  const TempDir dir;
  const auto train = dir.write("data/train/part-0.txt", "hello");
  const auto root = dir.path() / "algo-1";
  write_host_folder(root, one_host_config(), {{"train", train.parent_path()}}, ChannelData::Copy);
  EXPECT_FALSE(fs::is_symlink(root / "input/data/train"));
  EXPECT_EQ(read_text_file(root / "input/data/train/part-0.txt"), "hello");
}

TEST(WriteHostFolder, MissingChannelSourceNamesTheChannel) {
  const TempDir dir;
  EXPECT_ERROR(write_host_folder(dir.path() / "algo-1", one_host_config(), {{"train", dir.path() / "nope"}}, ChannelData::Symlink),
               RuntimeFailure, "input channel train: " + (dir.path() / "nope").string() + " does not exist");
}

}  // namespace
}  // namespace tandem::launcher
