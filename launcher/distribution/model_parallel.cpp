#include "launcher/distribution/model_parallel.h"

#include <cmath>
#include <cstdlib>
#include <vector>

#include "engine/error.h"
#include "parallel/topology/placement.h"

namespace tandem::launcher {
namespace {

enum class Kind { Int, Bool, Number, String };

struct ParamSpec {
  const char* key;
  Kind kind;
  double min;              // lower bound for Int and Number
  const char* only_value;  // non-null: the one value (JSON) tandem supports yet
};

// Every key SMP v1 documents or its SDK validates, then tandem's own keys; this
// order is the "expected one of" list in errors. Keys marked inert change
// nothing in tandem because the feature they tune is off (tp = 1, no sharded
// data parallelism, no activation offloading, no tracing).
constexpr ParamSpec kParams[] = {
    {"partitions", Kind::Int, 1, nullptr},
    {"pipeline_parallel_degree", Kind::Int, 1, nullptr},
    {"microbatches", Kind::Int, 1, nullptr},
    {"pipeline", Kind::String, 0, nullptr},
    {"optimize", Kind::String, 0, nullptr},
    {"placement_strategy", Kind::String, 0, nullptr},
    {"auto_partition", Kind::Bool, 0, nullptr},
    {"default_partition", Kind::Int, 0, nullptr},
    {"contiguous", Kind::Bool, 0, nullptr},
    {"horovod", Kind::Bool, 0, nullptr},
    {"memory_weight", Kind::Number, 0, nullptr},
    {"ddp", Kind::Bool, 0, nullptr},
    {"ddp_port", Kind::Int, 0, nullptr},
    {"ddp_dist_backend", Kind::String, 0, nullptr},
    {"active_microbatches", Kind::Int, 1, nullptr},
    {"deterministic_server", Kind::Bool, 0, nullptr},
    {"offload_activations", Kind::Bool, 0, "false"},
    {"activation_loading_horizon", Kind::Int, 1, nullptr},  // inert
    {"tensor_parallel_degree", Kind::Int, 1, "1"},
    {"fp16", Kind::Bool, 0, "false"},
    {"fp16_params", Kind::Bool, 0, "false"},
    {"bf16", Kind::Bool, 0, "false"},
    {"shard_optimizer_state", Kind::Bool, 0, "false"},
    {"prescaled_batch", Kind::Bool, 0, nullptr},  // inert
    {"skip_tracing", Kind::Bool, 0, nullptr},     // inert
    {"sharded_data_parallel_degree", Kind::Int, 1, "1"},
    {"sdp_reduce_bucket_size", Kind::Number, 0, nullptr},           // inert
    {"sdp_param_persistence_threshold", Kind::Number, 0, nullptr},  // inert
    {"sdp_max_live_parameters", Kind::Number, 0, nullptr},          // inert
    {"sdp_hierarchical_allgather", Kind::Bool, 0, nullptr},         // inert
    {"sdp_gradient_clipping", Kind::Number, 0, nullptr},            // inert
    {"load_partition", Kind::Bool, 0, "false"},
    {"partition_file", Kind::String, 0, nullptr},  // inert: only read with load_partition
    {"virtual_stages", Kind::Int, 1, nullptr},
    {"zero_bubble", Kind::Bool, 0, nullptr},
};

const ParamSpec* find_spec(const std::string& key) {
  for (const auto& spec : kParams) {
    if (key == spec.key) return &spec;
  }
  return nullptr;
}

std::vector<std::string> accepted_keys() {
  std::vector<std::string> keys;
  for (const auto& spec : kParams) keys.emplace_back(spec.key);
  return keys;
}

void check_value(const ParamSpec& spec, const nlohmann::json& value, const JsonPlace& place) {
  switch (spec.kind) {
    case Kind::Int:
      read_int(value, place, static_cast<int>(spec.min));
      break;
    case Kind::Bool:
      read_bool(value, place);
      break;
    case Kind::Number: {
      // NaN passes every comparison, so finiteness is checked before the bound
      // (the command-line form reads "nan" and "inf" through strtod).
      const double number = read_number(value, place);
      if (!std::isfinite(number)) {
        place.fail("expected a finite number, got " + std::string(std::isnan(number) ? "NaN" : number > 0 ? "inf" : "-inf"));
      }
      if (number < spec.min) {
        place.fail("expected a number >= " + describe_json(spec.min) + ", got " + describe_json(value));
      }
      break;
    }
    case Kind::String:
      read_string(value, place);
      break;
  }
  if (spec.only_value != nullptr && value != nlohmann::json::parse(spec.only_value)) {
    place.fail(describe_json(value) + " is not supported yet (tandem supports only " + spec.only_value + ")");
  }
}

std::string read_choice(const nlohmann::json& value, const JsonPlace& place, const std::vector<std::string>& choices) {
  const std::string text = read_string(value, place);
  std::string list;
  for (const auto& choice : choices) {
    if (text == choice) return text;
    list += (list.empty() ? "\"" : ", \"") + choice + "\"";
  }
  place.fail("expected one of " + list + ", got " + describe_json(value));
}

// The topology owns the meaning of placement strategies; checking with its
// parser here reports a bad value before any process starts.
std::string read_placement(const nlohmann::json& value, const JsonPlace& place) {
  const std::string text = read_string(value, place);
  try {
    parallel::parse_placement(text);
  } catch (const UsageError& e) {
    place.fail(e.what());
  }
  return text;
}

// Each reader fills the fields of one concern and checks them against each
// other; parse_model_parallel runs them in the order of kReaders, after every
// value has been checked against its type (kParams).

// partitions, or its alias pipeline_parallel_degree: the pipeline degree (pp_size).
void read_pipeline_degree(const JsonObject& p, ModelParallelParams& mp) {
  if (p.has("partitions") && p.has("pipeline_parallel_degree") &&
      p["partitions"] != p["pipeline_parallel_degree"]) {
    p.at("pipeline_parallel_degree")
        .fail("is an alias of partitions; give one of them (got partitions " + describe_json(p["partitions"]) +
              " and pipeline_parallel_degree " + describe_json(p["pipeline_parallel_degree"]) + ")");
  }
  if (p.has("partitions")) {
    mp.pp_size = p["partitions"].get<int>();
  } else if (p.has("pipeline_parallel_degree")) {
    mp.pp_size = p["pipeline_parallel_degree"].get<int>();
  } else {
    p.at("partitions").fail("required (the number of pipeline stages; alias pipeline_parallel_degree)");
  }
}

// The schedule and the cut into stages.
void read_schedule(const JsonObject& p, ModelParallelParams& mp) {
  if (p.has("microbatches")) mp.microbatches = p["microbatches"].get<int>();
  if (p.has("pipeline")) mp.pipeline = read_choice(p["pipeline"], p.at("pipeline"), {"interleaved", "simple"});
  if (p.has("optimize")) mp.optimize = read_choice(p["optimize"], p.at("optimize"), {"memory", "speed"});
  if (p.has("placement_strategy")) {
    mp.placement_strategy = read_placement(p["placement_strategy"], p.at("placement_strategy"));
  }

  mp.memory_weight = mp.optimize == "speed" ? 0.2 : 0.8;
  if (p.has("memory_weight")) {
    mp.memory_weight = p["memory_weight"].get<double>();
    if (mp.memory_weight > 1.0) {
      p.at("memory_weight").fail("expected a number in [0, 1], got " + describe_json(p["memory_weight"]));
    }
  }
}

// Replicas of the pipeline: ddp, and the keys that tune other data-parallel engines.
void read_data_parallel(const JsonObject& p, ModelParallelParams& mp) {
  if (p.has("ddp")) mp.ddp = p["ddp"].get<bool>();
  if (p.has("horovod")) mp.horovod = p["horovod"].get<bool>();
  if (mp.ddp && mp.horovod) p.at("horovod").fail("ddp and horovod cannot both be True");
  if (mp.horovod) {
    p.at("horovod").fail("True is not supported: tandem has no Horovod; its data-parallel replicas run with ddp True");
  }
  if (p.has("horovod")) mp.notes.push_back("horovod False: no effect (tandem has no Horovod; data parallelism is ddp)");
  if (p.has("ddp_port")) {
    if (!mp.ddp) p.at("ddp_port").fail("needs ddp True");
    mp.ddp_port = p["ddp_port"].get<int>();
    if (*mp.ddp_port > 65535) p.at("ddp_port").fail("expected a port in [0, 65535], got " + std::to_string(*mp.ddp_port));
    mp.notes.push_back("ddp_port " + std::to_string(*mp.ddp_port) +
                       ": no effect (tandem's data-parallel groups are split from the MPI world, with no TCP rendezvous)");
  }
  if (p.has("ddp_dist_backend")) {
    if (!mp.ddp) p.at("ddp_dist_backend").fail("needs ddp True");
    mp.ddp_dist_backend = read_choice(p["ddp_dist_backend"], p.at("ddp_dist_backend"), {"auto", "nccl"});
  }
}

// How layers are assigned to stages, and how many microbatches may be in flight.
void read_partitioning(const JsonObject& p, ModelParallelParams& mp) {
  // The cap itself is checked against the schedule in make_parallel_plan
  // (run/parallel_plan.cpp), which has the schedule to measure.
  mp.active_microbatches = p.has("active_microbatches") ? p["active_microbatches"].get<int>() : mp.pp_size + 2;

  if (p.has("auto_partition")) mp.auto_partition = p["auto_partition"].get<bool>();
  if (!mp.auto_partition && !p.has("default_partition")) {
    p.at("default_partition").fail("required when auto_partition is False");
  }
  if (p.has("default_partition")) {
    mp.default_partition = p["default_partition"].get<int>();
    if (mp.default_partition >= mp.pp_size) {
      p.at("default_partition")
          .fail("expected a partition index below partitions " + std::to_string(mp.pp_size) + ", got " +
                std::to_string(mp.default_partition));
    }
  }
  // SMP puts the modules with no smp.partition() assignment on default_partition.
  // tandem has no such assignments, so every layer would go there and leave the
  // other stages empty: a pipeline that cannot run.
  if (!mp.auto_partition) {
    p.at("auto_partition")
        .fail("False is not supported: tandem has no per-module partition assignments, so every layer would go to "
              "default_partition " + std::to_string(mp.default_partition) + " and leave the other " +
              std::to_string(mp.pp_size - 1) + " stage(s) empty; leave auto_partition True");
  }
  if (p.has("default_partition")) {
    mp.notes.push_back("default_partition " + std::to_string(mp.default_partition) +
                       ": no effect with auto_partition True (SMP reads it only when auto_partition is False)");
  }
  if (p.has("contiguous")) mp.contiguous = p["contiguous"].get<bool>();
  if (!mp.contiguous) {
    mp.notes.push_back("contiguous False: the partitioner still cuts contiguous spans of layers, which False permits "
                       "(it lifts SMP's contiguity requirement, it does not ask for non-contiguous stages)");
  }
}

// SMP's scheduling server.
void read_server(const JsonObject& p, ModelParallelParams& mp) {
  if (p.has("deterministic_server")) {
    mp.deterministic_server = p["deterministic_server"].get<bool>();
    mp.notes.push_back(std::string("deterministic_server ") + (mp.deterministic_server ? "True" : "False") +
                       ": no effect (tandem has no scheduling server; every rank follows a schedule fixed before "
                       "the step, the same on every run)");
  }
}

// tandem's own keys: virtual stages and the zero-bubble schedule.
void read_model_chunks(const JsonObject& p, ModelParallelParams& mp) {
  if (p.has("virtual_stages")) mp.virtual_stages = p["virtual_stages"].get<int>();
  // Virtual stages interleave model chunks inside the one-forward-one-backward
  // schedule; the all-forward "simple" schedule has no such form.
  if (mp.virtual_stages > 1 && mp.pipeline != "interleaved") {
    p.at("virtual_stages").fail("> 1 needs pipeline \"interleaved\", got \"" + mp.pipeline + "\"");
  }
  if (p.has("zero_bubble") && p["zero_bubble"].get<bool>()) {
    // ZB-H1 is a variant of the one-forward-one-backward schedule with one
    // model chunk per rank; with two chunks per rank it is the V-shaped ZB-V.
    if (mp.pipeline != "interleaved") p.at("zero_bubble").fail("needs pipeline \"interleaved\", got \"" + mp.pipeline + "\"");
    if (mp.virtual_stages > 2) {
      p.at("zero_bubble").fail("needs virtual_stages 1 (ZB-H1) or 2 (the V-shaped ZB-V), got " +
                               std::to_string(mp.virtual_stages));
    }
    mp.schedule_variant = mp.virtual_stages == 2 ? "zb_v" : "zb_h1";
  }
}

using FieldReader = void (*)(const JsonObject&, ModelParallelParams&);
// In dependency order: later readers check against the fields earlier ones set.
constexpr FieldReader kReaders[] = {read_pipeline_degree, read_schedule,  read_data_parallel,
                                    read_partitioning,    read_server,    read_model_chunks};

}  // namespace

ModelParallelParams parse_model_parallel(const nlohmann::json& parameters, const JsonPlace& place) {
  expect_object(parameters, place);
  reject_unknown_keys(parameters, accepted_keys(), place);
  for (const auto& item : parameters.items()) check_value(*find_spec(item.key()), item.value(), place.at(item.key()));
  ModelParallelParams mp;
  mp.given = parameters;
  for (FieldReader read : kReaders) read({parameters, place}, mp);
  return mp;
}

nlohmann::json mp_parameters_arg_to_json(const std::string& text) {
  const JsonPlace place{"--mp_parameters", ""};
  nlohmann::json parameters = nlohmann::json::object();
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string pair = text.substr(start, end - start);
    start = end + 1;
    const auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      place.fail("expected key=value pairs separated by ',', got \"" + pair + "\"");
    }
    const std::string key = pair.substr(0, eq);
    const std::string value = pair.substr(eq + 1);
    if (parameters.contains(key)) place.at(key).fail("given twice");
    const ParamSpec* spec = find_spec(key);
    // Unknown keys stay strings; parse_model_parallel names them with the list.
    const Kind kind = spec == nullptr ? Kind::String : spec->kind;
    const auto bad = [&](const char* expected) { place.at(key).fail(std::string("expected ") + expected + ", got \"" + value + "\""); };
    char* rest = nullptr;
    switch (kind) {
      case Kind::Int: {
        const long long number = std::strtoll(value.c_str(), &rest, 10);
        if (value.empty() || *rest != '\0') bad("an integer");
        parameters[key] = number;
        break;
      }
      case Kind::Bool:
        if (value == "True" || value == "true") {
          parameters[key] = true;
        } else if (value == "False" || value == "false") {
          parameters[key] = false;
        } else {
          bad("True or False");
        }
        break;
      case Kind::Number: {
        const double number = std::strtod(value.c_str(), &rest);
        if (value.empty() || *rest != '\0') bad("a number");
        parameters[key] = number;
        break;
      }
      case Kind::String:
        parameters[key] = value;
        break;
    }
  }
  return parameters;
}

ModelParallelParams parse_mp_parameters_arg(const std::string& text) {
  return parse_model_parallel(mp_parameters_arg_to_json(text), {"--mp_parameters", ""});
}

void check_partitions_divide(const ModelParallelParams& mp, int world_size, const std::string& world) {
  if (world_size % mp.pp_size != 0) {
    throw UsageError("partitions: " + std::to_string(mp.pp_size) + " pipeline stages do not divide " + world +
                     "; the processes must split into whole pipelines");
  }
}

}  // namespace tandem::launcher
