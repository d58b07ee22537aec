#pragma once
// What makes a checkpoint folder complete: manifests listing every file with
// its size and CRC-32C (engine/checkpoint/crc32c.h). Each rank lists the files
// it wrote in manifest-rank-<rank>.json; the committing rank writes
// manifest.json last, naming the world size and its own files. A folder
// verifies when manifest.json and every rank's manifest exist and every file
// they list has its recorded size and checksum. Hosts that do not share the
// folder merge their parts (SageMaker's S3 sync), and the names never collide.

#include <optional>
#include <string>
#include <vector>

namespace tandem {

inline constexpr const char* kJobManifest = "manifest.json";
std::string rank_manifest_name(int rank);

// Writes `manifest` in `dir` listing `files` (names inside dir), each read
// back for its size and checksum, fsynced before it appears. `world_size` is
// recorded when >= 0 (the job manifest).
void write_manifest(const std::string& dir, const std::string& manifest, const std::vector<std::string>& files,
                    int world_size = -1);

// Why the folder does not verify, or nothing when it does.
std::optional<std::string> checkpoint_problem(const std::string& dir);
// The same for the parts present: a host's own folder before the hosts'
// folders are merged (SageMaker's instances each have their own
// /opt/ml/checkpoints). The job manifest's files when it is there, and every
// rank manifest present; at least one rank manifest.
std::optional<std::string> host_part_problem(const std::string& dir);

}  // namespace tandem
