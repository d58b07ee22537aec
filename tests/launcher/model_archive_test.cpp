#include "launcher/local/model_archive.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "tests/common/temp_dir.h"

namespace tandem::launcher {
namespace {

using Words = std::vector<std::string>;

std::string list_archive(const std::filesystem::path& archive) {
  std::string listing;
  FILE* pipe = ::popen(("tar -tzf '" + archive.string() + "' | sort").c_str(), "r");
  char buffer[256];
  while (pipe && std::fgets(buffer, sizeof buffer, pipe)) listing += buffer;
  if (pipe) ::pclose(pipe);
  return listing;
}

TEST(ModelArchive, HostsModelFoldersMergeAtTheArchiveRoot) {
  const TempDir dir;
  dir.write("algo-1/model/model.safetensors", "w");
  dir.write("algo-1/model/config.json", "{}");
  dir.write("algo-2/model/-odd name", "x");
  dir.write("algo-2/model/sub/part", "y");
  const auto archive = dir.path() / "model.tar.gz";
  const std::vector<std::filesystem::path> models = {dir.path() / "algo-1/model", dir.path() / "algo-2/model",
                                                     dir.path() / "algo-3/model"};
  EXPECT_EQ(model_archive_command(models, archive),
            (Words{"tar", "-czf", archive.string(), "-C", models[0].string(), "config.json", "model.safetensors", "-C",
                   models[1].string(), "./-odd name", "sub"}));
  write_model_archive(models, archive);
  EXPECT_EQ(list_archive(archive), "./-odd name\nconfig.json\nmodel.safetensors\nsub/\nsub/part\n");
}

TEST(ModelArchive, NoModelGivesAnEmptyArchive) {
  const TempDir dir;
  std::filesystem::create_directories(dir.path() / "model");
  const auto archive = dir.path() / "model.tar.gz";
  write_model_archive({dir.path() / "model"}, archive);
  EXPECT_TRUE(std::filesystem::exists(archive));
  EXPECT_EQ(list_archive(archive), "");
}

}  // namespace
}  // namespace tandem::launcher
