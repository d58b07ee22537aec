#pragma once
// One host's /opt/ml tree, written for local mode so the program finds the
// same layout as in a SageMaker container (docs/sagemaker-contract.md §3.2):
//   input/config/{hyperparameters,resourceconfig,inputdataconfig}.json
//   input/data/<channel>   model   output/data   output/intermediate
//   checkpoints   code

#include <filesystem>
#include <map>
#include <string>

#include "launcher/sagemaker/container_config.h"

namespace tandem::launcher {

// How a channel's local data appears under input/data/<channel>: a symlink
// keeps big data sets in place; a copy is for data the job may change or for
// folders mounted elsewhere.
enum class ChannelData { Symlink, Copy };

// Creates (or refreshes) the tree under root. A channel source that is a
// directory becomes input/data/<channel>; a single file is placed inside it.
// A missing source is a RuntimeFailure naming the channel.
void write_host_folder(const std::filesystem::path& root, const ContainerConfig& config,
                       const std::map<std::string, std::filesystem::path>& channel_sources, ChannelData mode);

}  // namespace tandem::launcher
