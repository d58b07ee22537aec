#pragma once
// custom_mpi_options as the toolkit treats them (docs/sagemaker-contract.md §3.5):
// `--NCCL_DEBUG X` replaces the NCCL_DEBUG level the launcher exports, every
// other token goes to mpirun verbatim. Tandem splits the text with shell
// quoting (a superset of the toolkit's whitespace split) and refuses options
// that repeat what the launcher already sets: Open MPI aborts on an MCA
// parameter given twice, and a second --host or -np would silently change the
// job.

#include <string>
#include <vector>

namespace tandem::launcher {

struct CustomMpiOptions {
  std::string nccl_debug = "INFO";
  std::vector<std::string> tokens;  // everything but --NCCL_DEBUG, in order
};

CustomMpiOptions parse_custom_mpi_options(const std::string& text);

// UsageError naming the first custom token that sets an MCA parameter or an
// option (-np, --host, --allow-run-as-root, ...) already present in `launcher`.
// Repeated `-x NAME=...` is allowed: the last one wins, and the SMDDP docs
// show `-x NCCL_DEBUG=VERSION` this way.
void reject_repeated_launcher_options(const std::vector<std::string>& launcher,
                                      const std::vector<std::string>& custom);

}  // namespace tandem::launcher
