#include "launcher/job/job_spec.h"

#include <cctype>

#include "engine/error.h"
#include "launcher/config/json_fields.h"
#include "launcher/sagemaker/instance_types.h"

namespace tandem::launcher {
namespace {

constexpr int kMaxRunLimit = 28 * 24 * 3600;  // MaxRuntimeInSeconds may be at most 28 days

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// A data location in local mode: s3:// cannot be fetched, file:// is a path.
std::filesystem::path local_location(const std::string& location, const JsonPlace& place,
                                     const std::filesystem::path& base_dir, const std::string& what) {
  if (starts_with(location, "s3://")) {
    place.fail("s3:// " + what + " need network access; local mode takes local paths or file://");
  }
  std::filesystem::path path = starts_with(location, "file://") ? location.substr(7) : location;
  if (path.empty()) place.fail("expected a local path or file:// URI, got \"" + location + "\"");
  if (path.is_relative()) path = base_dir / path;
  return std::filesystem::absolute(path).lexically_normal();
}

// SageMaker channel names: [A-Za-z0-9.\-_]{1,64}; they become folder names and SM_CHANNEL_<NAME>.
void check_channel_name(const std::string& name, const JsonPlace& place) {
  bool valid = !name.empty() && name.size() <= 64;
  for (char c : name) valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_');
  if (!valid) place.fail("channel name \"" + name + "\" must be 1-64 letters, digits, '.', '-' or '_'");
}

void read_inputs(const nlohmann::json& inputs, const JsonPlace& place, const std::filesystem::path& base_dir, JobSpec& job) {
  expect_object(inputs, place);
  for (const auto& item : inputs.items()) {
    const JsonPlace channel = place.at(item.key());
    check_channel_name(item.key(), place);
    const std::string location = read_string(item.value(), channel);
    if (!job.is_local()) {
      job.inputs[item.key()] = location;
      continue;
    }
    const auto path = local_location(location, channel, base_dir, "inputs");
    if (!std::filesystem::exists(path)) channel.fail(path.string() + " does not exist");
    job.inputs[item.key()] = path.string();
  }
}

// mpi.processes_per_host when given; otherwise what the container would run.
int resolve_processes_per_host(const JobSpec& job) {
  const Distribution& d = job.distribution;
  const auto gpus = gpus_per_instance(job.instance_type);
  if (d.processes_per_host > 0) {
    if (gpus && *gpus > 0 && d.processes_per_host > *gpus) {
      JsonPlace{"distribution", "mpi.processes_per_host"}.fail(
          std::to_string(d.processes_per_host) + " exceeds the " + std::to_string(*gpus) + " GPUs of one " +
          job.instance_type + " (one process per GPU)");
    }
    return d.processes_per_host;
  }
  const bool multi_process = d.mpi_enabled || d.strategy == Distribution::Strategy::DataParallel;
  if (!multi_process || job.instance_type == "local" || job.instance_type == "local_cpu") return 1;
  return gpus && *gpus > 0 ? *gpus : 0;
}

}  // namespace

bool JobSpec::is_local() const { return is_local_instance_type(instance_type); }

std::vector<std::string> JobSpec::hosts() const {
  std::vector<std::string> names;
  for (int i = 1; i <= instance_count; ++i) names.push_back("algo-" + std::to_string(i));
  return names;
}

namespace {

// Each group reads its keys of JOB.json into the spec and checks them against
// the fields earlier groups set; the groups' keys are the accepted keys.
using JobReader = void (*)(const JsonObject& job_file, const std::filesystem::path& base_dir, JobSpec& job);

void read_instances(const JsonObject& f, const std::filesystem::path&, JobSpec& job) {
  if (f.has("entry_point")) job.entry_point = read_string(f["entry_point"], f.at("entry_point"));
  if (job.entry_point.empty()) f.at("entry_point").fail("expected a command, e.g. \"tandem train\"");
  if (!f.has("instance_type")) f.at("instance_type").fail("required: local, local_cpu, local_gpu or an ml.* type");
  job.instance_type = read_string(f["instance_type"], f.at("instance_type"));
  if (!job.is_local() && !starts_with(job.instance_type, "ml.")) {
    f.at("instance_type").fail("expected local, local_cpu, local_gpu or an ml.* type, got \"" + job.instance_type + "\"");
  }
  if (f.has("instance_count")) job.instance_count = read_int(f["instance_count"], f.at("instance_count"), 1);
}

void read_training(const JsonObject& f, const std::filesystem::path& base_dir, JobSpec& job) {
  if (f.has("hyperparameters")) {
    job.hyperparameters = f["hyperparameters"];
    expect_object(job.hyperparameters, f.at("hyperparameters"));
    for (const auto& item : job.hyperparameters.items()) {
      // The launcher derives these from entry_point and distribution, as the SDK does.
      if (starts_with(item.key(), "sagemaker_")) {
        f.at("hyperparameters").at(item.key()).fail("reserved: the launcher sets sagemaker_* from entry_point and distribution");
      }
    }
  }
  if (f.has("distribution")) job.distribution = parse_distribution(f["distribution"], base_dir);
  job.distribution.instance_type = job.instance_type;
  if (job.distribution.mp && job.hyperparameters.contains("mp_parameters")) {
    f.at("hyperparameters").at("mp_parameters").fail("also set by distribution.smdistributed.modelparallel.parameters; keep one");
  }
}

void read_storage(const JsonObject& f, const std::filesystem::path& base_dir, JobSpec& job) {
  if (f.has("inputs")) read_inputs(f["inputs"], f.at("inputs"), base_dir, job);
  if (f.has("checkpoint_s3_uri")) {
    const std::string uri = read_string(f["checkpoint_s3_uri"], f.at("checkpoint_s3_uri"));
    job.checkpoint_s3_uri =
        job.is_local() ? local_location(uri, f.at("checkpoint_s3_uri"), base_dir, "checkpoints").string() : uri;
  }
  if (f.has("checkpoint_local_path")) {
    job.checkpoint_local_path = read_string(f["checkpoint_local_path"], f.at("checkpoint_local_path"));
    if (job.checkpoint_local_path.empty()) f.at("checkpoint_local_path").fail("expected a path");
  }
}

void read_time_limits(const JsonObject& f, const std::filesystem::path&, JobSpec& job) {
  if (f.has("use_spot_instances")) job.use_spot_instances = read_bool(f["use_spot_instances"], f.at("use_spot_instances"));
  if (f.has("max_run")) {
    job.max_run = read_int(f["max_run"], f.at("max_run"), 1);
    if (job.max_run > kMaxRunLimit) f.at("max_run").fail("at most 28 days (" + std::to_string(kMaxRunLimit) + " seconds)");
  }
  if (f.has("max_wait")) {
    job.max_wait = read_int(f["max_wait"], f.at("max_wait"), 1);
    if (!job.use_spot_instances) f.at("max_wait").fail("only applies with use_spot_instances true");
  }
  if (job.use_spot_instances) {
    if (job.max_wait == 0) f.at("max_wait").fail("required with use_spot_instances (seconds to wait for spot capacity, larger than max_run)");
    if (job.max_wait <= job.max_run) {
      f.at("max_wait").fail("MaxWaitTimeInSeconds must be larger than MaxRuntimeInSeconds (max_wait " +
                            std::to_string(job.max_wait) + ", max_run " + std::to_string(job.max_run) + ")");
    }
  }
}

void read_observability(const JsonObject& f, const std::filesystem::path&, JobSpec& job) {
  if (f.has("metric_definitions")) job.metric_definitions = parse_metric_definitions(f["metric_definitions"], f.place.source);
  if (f.has("environment")) {
    expect_object(f["environment"], f.at("environment"));
    for (const auto& item : f["environment"].items()) {
      job.environment[item.key()] = read_string(item.value(), f.at("environment").at(item.key()));
    }
  }
}

struct JobFieldGroup {
  std::vector<std::string> keys;
  JobReader read;
};

// In dependency order; the keys in this order are the "expected one of" list.
const std::vector<JobFieldGroup>& job_field_groups() {
  static const std::vector<JobFieldGroup> groups = {
      {{"entry_point", "instance_type", "instance_count"}, read_instances},
      {{"hyperparameters", "distribution"}, read_training},
      {{"inputs", "checkpoint_s3_uri", "checkpoint_local_path"}, read_storage},
      {{"use_spot_instances", "max_run", "max_wait"}, read_time_limits},
      {{"metric_definitions", "environment"}, read_observability},
  };
  return groups;
}

}  // namespace

JobSpec parse_job_spec(const nlohmann::json& content, const std::filesystem::path& base_dir, const std::string& source) {
  const JsonPlace root{source, ""};
  expect_object(content, root);
  std::vector<std::string> accepted;
  for (const auto& group : job_field_groups()) accepted.insert(accepted.end(), group.keys.begin(), group.keys.end());
  reject_unknown_keys(content, accepted, root);
  JobSpec job;
  for (const auto& group : job_field_groups()) group.read({content, root}, base_dir, job);

  job.processes_per_host = resolve_processes_per_host(job);
  if (job.distribution.mp && job.processes_per_host > 0) {
    const int world = job.instance_count * job.processes_per_host;
    check_partitions_divide(*job.distribution.mp, world,
                            std::to_string(world) + " processes (instance_count " + std::to_string(job.instance_count) +
                                " x processes_per_host " + std::to_string(job.processes_per_host) + ")");
  }
  return job;
}

JobSpec read_job_spec(const std::filesystem::path& file) {
  return parse_job_spec(parse_json_text(read_text_file(file), file.string()), file.parent_path(), file.string());
}

}  // namespace tandem::launcher
