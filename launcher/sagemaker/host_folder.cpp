#include "launcher/sagemaker/host_folder.h"

#include "engine/error.h"

namespace tandem::launcher {
namespace fs = std::filesystem;

namespace {

void place_channel(const std::string& channel, const fs::path& source, const fs::path& target, ChannelData mode) {
  if (!fs::exists(source)) throw RuntimeFailure("input channel " + channel + ": " + source.string() + " does not exist");
  const fs::path absolute = fs::absolute(source);
  fs::remove_all(target);  // a symlink is removed, never what it points to
  if (fs::is_directory(absolute)) {
    if (mode == ChannelData::Symlink) {
      fs::create_directory_symlink(absolute, target);
    } else {
      fs::copy(absolute, target, fs::copy_options::recursive);
    }
    return;
  }
  fs::create_directories(target);
  const fs::path file = target / absolute.filename();
  if (mode == ChannelData::Symlink) {
    fs::create_symlink(absolute, file);
  } else {
    fs::copy_file(absolute, file);
  }
}

}  // namespace

void write_host_folder(const fs::path& root, const ContainerConfig& config,
                       const std::map<std::string, fs::path>& channel_sources, ChannelData mode) {
  try {
    write_container_config(config, root / "input" / "config");
    for (const char* dir : {"input/data", "model", "output/data", "output/intermediate", "checkpoints", "code"}) {
      fs::create_directories(root / dir);
    }
    for (const auto& [channel, source] : channel_sources) {
      place_channel(channel, source, root / "input" / "data" / channel, mode);
    }
  } catch (const fs::filesystem_error& e) {
    throw RuntimeFailure("job folder " + root.string() + ": " + e.what());
  }
}

}  // namespace tandem::launcher
