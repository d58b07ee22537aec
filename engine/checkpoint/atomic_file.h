#pragma once
// A file that appears under its final name only once completely written:
// bytes go to "<path>.tmp-<pid>", which commit() fsyncs and renames, then
// fsyncs the folder so the new name survives a power loss too. Destroyed
// without commit() (an exception, a crash), the temporary is removed and any
// previous file at `path` is untouched.

#include <cstdio>
#include <string>

namespace tandem {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t bytes);
  void write(const std::string& text) { write(text.data(), text.size()); }
  void commit();

 private:
  std::string path_, tmp_;
  std::FILE* f_ = nullptr;
};

// Writes a whole text file atomically.
void write_file_atomically(const std::string& path, const std::string& content);

// fsync on a folder: makes the entries created, renamed or removed in it
// durable. Throws RuntimeFailure naming the folder.
void fsync_directory(const std::string& dir);

}  // namespace tandem
