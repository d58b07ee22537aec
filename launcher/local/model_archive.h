#pragma once
// model.tar.gz as SageMaker packs /opt/ml/model at the end of a job: the
// folder's contents at the archive root (config.json, model.safetensors, ...),
// gzip-compressed. With several hosts their model folders are merged, which is
// why multi-host programs must give their files distinct names.

#include <filesystem>
#include <vector>

namespace tandem::launcher {

// The tar command line, one argv token per word (`tar` is run directly, never
// through a shell). Folders that are missing or empty add nothing; with no
// files at all the archive is empty but valid.
std::vector<std::string> model_archive_command(const std::vector<std::filesystem::path>& model_dirs,
                                               const std::filesystem::path& archive);

// Runs it; RuntimeFailure naming the archive when tar fails.
void write_model_archive(const std::vector<std::filesystem::path>& model_dirs, const std::filesystem::path& archive);

}  // namespace tandem::launcher
