#pragma once
// Writes the small files SageMaker reads from the job's output folder
// (failure, success) without following a symlink at their name: a link
// planted there (the folder may be shared with a script the job runs) would
// otherwise make tandem overwrite whatever it points to.

#include <filesystem>
#include <string>

namespace tandem::launcher {

// Creates or truncates `file` with `content`, refusing a symlink (O_NOFOLLOW).
// False when the file could not be written (the caller's report goes on without it).
bool write_file_no_follow(const std::filesystem::path& file, const std::string& content);

}  // namespace tandem::launcher
