#pragma once
// The job's log as SageMaker shows it. mpirun --tag-output prefixes every
// line a rank prints with `[<job>,<rank>]<stdout>:`; the training toolkit
// rewrites that to `[<job>,mpirank:<rank>,algo-<rank / processes_per_host + 1>]<stdout>:`
// (docs/sagemaker-contract.md §3.8), which is what metric regexes and people see.

#include <string>
#include <vector>

namespace tandem::launcher {

// The line with the host added to its rank tag; a line without a tag (mpirun's
// own messages) is returned unchanged.
std::string add_host_to_rank_tag(const std::string& line, int processes_per_host);

// Bytes read from a pipe, cut into lines ('\n' removed). A last line without
// '\n' comes out of finish().
class LineSplitter {
 public:
  std::vector<std::string> feed(const char* data, size_t size);
  std::vector<std::string> finish();

 private:
  std::string pending_;
};

}  // namespace tandem::launcher
