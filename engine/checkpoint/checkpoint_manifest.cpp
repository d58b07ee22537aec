#include "engine/checkpoint/checkpoint_manifest.h"

#include "engine/checkpoint/atomic_file.h"
#include "engine/checkpoint/crc32c.h"
#include "engine/error.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <regex>

namespace tandem {
namespace fs = std::filesystem;

namespace {

// A manifest lists names inside its folder only: nothing it says can make
// verification read elsewhere.
bool plain_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

std::optional<std::string> read_manifest(const fs::path& path, nlohmann::json& out) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return path.filename().string() + " is missing";
  // A manifest is a few hundred bytes per file; a huge one is not ours.
  if (fs::file_size(path, ec) > (16u << 20)) return path.filename().string() + " is too large";
  std::ifstream in(path);
  out = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded() || !out.is_object() || !out.contains("files") || !out["files"].is_array())
    return path.filename().string() + " is malformed";
  return std::nullopt;
}

std::optional<std::string> files_problem(const fs::path& dir, const nlohmann::json& manifest) {
  for (const auto& entry : manifest["files"]) {
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() || !entry.contains("size") ||
        !entry["size"].is_number_unsigned() || !entry.contains("crc32c") || !entry["crc32c"].is_number_unsigned())
      return "a manifest entry is malformed";
    const std::string name = entry["name"].get<std::string>();
    if (!plain_name(name)) return "a manifest names \"" + name + "\", not a file of the folder";
    const fs::path file = dir / name;
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec) return name + " is missing";
    if (size != entry["size"].get<uint64_t>())
      return name + " has " + std::to_string(size) + " bytes, the manifest says " +
             std::to_string(entry["size"].get<uint64_t>());
    if (crc32c_of_file(file.string()) != entry["crc32c"].get<uint64_t>()) return name + " fails its checksum";
  }
  return std::nullopt;
}

std::optional<std::string> rank_manifest_problem(const fs::path& dir, int rank) {
  nlohmann::json m;
  if (auto problem = read_manifest(dir / rank_manifest_name(rank), m)) return problem;
  return files_problem(dir, m);
}

}  // namespace

std::string rank_manifest_name(int rank) { return "manifest-rank-" + std::to_string(rank) + ".json"; }

void write_manifest(const std::string& dir, const std::string& manifest, const std::vector<std::string>& files,
                    int world_size) {
  nlohmann::json m = {{"files", nlohmann::json::array()}};
  if (world_size >= 0) m["world_size"] = world_size;
  for (const auto& name : files) {
    const fs::path file = fs::path(dir) / name;
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec) throw RuntimeFailure(file.string() + ": cannot be listed in the checkpoint manifest (" + ec.message() + ")");
    m["files"].push_back({{"name", name}, {"size", size}, {"crc32c", crc32c_of_file(file.string())}});
  }
  write_file_atomically((fs::path(dir) / manifest).string(), m.dump(1) + "\n");
}

std::optional<std::string> checkpoint_problem(const std::string& dir_text) {
  const fs::path dir = dir_text;
  nlohmann::json job;
  if (auto problem = read_manifest(dir / kJobManifest, job)) return problem;
  if (!job.contains("world_size") || !job["world_size"].is_number_unsigned() || job["world_size"].get<uint64_t>() == 0 ||
      job["world_size"].get<uint64_t>() > (1u << 20))
    return std::string(kJobManifest) + " has no valid world_size";
  if (auto problem = files_problem(dir, job)) return problem;
  const int world = job["world_size"].get<int>();
  for (int r = 0; r < world; ++r)
    if (auto problem = rank_manifest_problem(dir, r)) return problem;
  return std::nullopt;
}

std::optional<std::string> host_part_problem(const std::string& dir_text) {
  const fs::path dir = dir_text;
  std::error_code ec;
  if (fs::exists(dir / kJobManifest, ec)) {
    // The committer's own files; other hosts' rank manifests arrive with the merge.
    nlohmann::json job;
    if (auto problem = read_manifest(dir / kJobManifest, job)) return problem;
    if (auto problem = files_problem(dir, job)) return problem;
  }
  static const std::regex rank_manifest("manifest-rank-([0-9]{1,7})\\.json");
  int found = 0;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (!std::regex_match(name, m, rank_manifest)) continue;
    ++found;
    if (auto problem = rank_manifest_problem(dir, std::stoi(m[1].str()))) return problem;
  }
  if (ec) return "cannot be listed (" + ec.message() + ")";
  if (!found) return "no manifest";
  return std::nullopt;
}

}  // namespace tandem
