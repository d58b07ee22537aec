// The benchmarks' flag tables: the only place their defaults are written.
#include "benchmarks/bench_args.h"

namespace tandem::bench {
namespace {

// Each benchmark's defaults for the shared shape flags.
struct ShapeDefaults {
  const char *layers, *d, *heads, *T, *steps, *warmup;
};

template <class Args>
void add_shape_flags(flags::FlagTable<Args>& t, const ShapeDefaults& defaults) {
  t.integer("layers", &Args::layers).default_to(defaults.layers).at_least(1).help("transformer blocks");
  t.integer("d", &Args::d).default_to(defaults.d).at_least(1).help("model width (d_ff = 4d)");
  t.integer("heads", &Args::heads).default_to(defaults.heads).at_least(1).help("attention heads (dividing d)");
  t.integer("T", &Args::T).default_to(defaults.T).at_least(1).help("tokens per example");
  t.integer("steps", &Args::steps).default_to(defaults.steps).at_least(1).help("timed steps (the median is reported)");
  t.integer("warmup", &Args::warmup).default_to(defaults.warmup).at_least(0).help("untimed steps before them");
  t.integer("threads", &Args::threads).default_to("1").at_least(1).help("intra-op CPU threads per process");
}

flags::FlagTable<DpScalingArgs> make_dp_scaling_table() {
  flags::CommandInfo info("dp_scaling_bench", "[--key value]...  (under mpirun -np N)",
                          "data-parallel training throughput and allreduce overlap (one JSON line)");
  info.description =
      "ReplicaExecutor + GradientReducer + AdamW, one replica per process, as\n"
      "`tandem train` builds them; one process alone (no mpirun) is single-process\n"
      "training. benchmarks/compare_data_parallel.sh runs it beside PyTorch DDP,\n"
      "benchmarks/compare_single_process.sh beside the single-process peer.";
  flags::FlagTable<DpScalingArgs> t(info);
  add_shape_flags(t, {"4", "256", "4", "256", "15", "3"});
  t.integer("batch", &DpScalingArgs::batch).default_to("8").at_least(1).help("examples per rank per step");
  t.integer("first_bucket_kb", &DpScalingArgs::first_bucket_kb).default_to("1024").at_least(1)
      .help("size of the first gradient bucket (KiB)");
  t.integer("bucket_cap_kb", &DpScalingArgs::bucket_cap_kb).default_to("25600").at_least(1)
      .help("gradient bucket cap (KiB)");
  return t;
}

flags::FlagTable<PipelineArgs> make_pipeline_table() {
  flags::CommandInfo info("pipeline_bench", "[--key value]...  (under mpirun -np P, P >= 2)",
                          "pipeline bubble and activation stash of every schedule");
  info.description = "One pipeline of P uniform stages; --layers must be a multiple of 2P.";
  flags::FlagTable<PipelineArgs> t(info);
  add_shape_flags(t, {"8", "256", "4", "128", "3", "1"});
  t.integer("microbatch", &PipelineArgs::microbatch).default_to("2").at_least(1).help("examples per microbatch");
  t.text("trace_dir", &PipelineArgs::trace_dir).metavar("dir").default_note("results/ beside the binary")
      .help("where the Chrome traces go");
  return t;
}

// The communication benchmarks sweep message sizes the same way; only their
// names and default ranges differ.
flags::FlagTable<SizeSweepArgs> make_size_sweep_table(flags::CommandInfo info, const char* min_bytes,
                                                      const char* max_bytes, const char* iters) {
  flags::FlagTable<SizeSweepArgs> t(std::move(info));
  using A = SizeSweepArgs;
  t.bytes("min_bytes", &A::min_bytes).default_to(min_bytes).at_least(4).help("first size (one float32 is 4 bytes)");
  t.bytes("max_bytes", &A::max_bytes).default_to(max_bytes).at_least(4).help("last size");
  t.integer("step_factor", &A::step_factor).default_to("2").at_least(2).at_most(1000000).help("size multiplier");
  t.integer("iters", &A::iters).default_to(iters).at_least(1).at_most(1000000).help("timed iterations per size");
  t.integer("warmup", &A::warmup).default_to("5").at_least(0).at_most(1000000).help("untimed iterations first");
  t.text("json", &A::json_path).metavar("file").default_note("none").help("also write the rows as JSON here");
  return t;
}

flags::FlagTable<SizeSweepArgs> make_allreduce_table() {
  flags::CommandInfo info("allreduce_bench", "[--key value]...  (under mpirun -np N)",
                          "allreduce bandwidth in nccl-tests' form");
  info.description = "For each size, tandem's communicator beside a plain MPI_Allreduce.";
  return make_size_sweep_table(info, "8", "64M", "20");
}

flags::FlagTable<SizeSweepArgs> make_p2p_latency_table() {
  flags::CommandInfo info("p2p_latency_bench", "[--key value]...  (under mpirun -np 2)",
                          "one-way point-to-point latency, ping-pong between two ranks");
  info.description =
      "For each size, tandem's send/recv (through the MPI thread, as pipeline stages use them)\n"
      "beside MPI_Send/MPI_Recv called directly between the same two processes.";
  return make_size_sweep_table(info, "4K", "4M", "200");
}

flags::FlagTable<LmHeadArgs> make_lm_head_table() {
  flags::CommandInfo info("lm_head_bench", "[--key value]...", "peak memory and step time of the LM head loss");
  info.description = "The chunked LM head + cross-entropy (kernels/) or its full-logits twin, forward and backward.";
  flags::FlagTable<LmHeadArgs> t(info);
  using A = LmHeadArgs;
  t.choice("impl", {"chunked", "full"}, &A::impl).default_to("chunked").help("which implementation to measure");
  t.integer("batch", &A::batch).default_to("4").at_least(1).help("examples");
  t.integer("T", &A::T).default_to("256").at_least(1).help("tokens per example");
  t.integer("d", &A::d).default_to("768").at_least(1).help("model width");
  t.integer("vocab", &A::vocab).default_to("50257").at_least(1).help("vocabulary (padded to a multiple of 64)");
  t.integer("chunk_rows", &A::chunk_rows).default_to("512").at_least(1).help("rows of logits per chunk");
  t.integer("steps", &A::steps).default_to("3").at_least(1).help("timed steps");
  t.integer("threads", &A::threads).default_to("1").at_least(1).help("intra-op CPU threads");
  return t;
}

flags::FlagTable<TokenizerBenchArgs> make_tokenizer_table() {
  flags::CommandInfo info("tokenizer_bench", "--tokenizer_dir DIR [--key value]...",
                          "tokens/s of tandem's tokenizer against Hugging Face tokenizers on the same text");
  info.description = "Each non-empty line of the text is one document; both sides encode all of them (no special "
                     "tokens) on the same number of threads, --runs times after one warm-up.";
  flags::FlagTable<TokenizerBenchArgs> t(info);
  using A = TokenizerBenchArgs;
  t.text("tokenizer_dir", &A::tokenizer_dir).metavar("dir").default_note("required").help("the model directory whose tokenizer to measure");
  t.text("text_file", &A::text_file).metavar("file").default_note("the fortunes corpus, /usr/share/games/fortunes").help("UTF-8 text to tokenize");
  t.integer("threads", &A::threads).default_to("1").at_least(1).help("threads on each side (HF: RAYON_NUM_THREADS)");
  t.integer("runs", &A::runs).default_to("5").at_least(1).help("timed runs per side");
  t.boolean("peer", &A::peer).default_to("True").help("also run the HF peer (benchmarks/peer/hf_tokenizer_throughput.py)");
  return t;
}

}  // namespace

const flags::FlagTable<LmHeadArgs>& lm_head_flag_table() { return flags::built_once<make_lm_head_table>(); }
const flags::FlagTable<TokenizerBenchArgs>& tokenizer_flag_table() { return flags::built_once<make_tokenizer_table>(); }

const flags::FlagTable<DpScalingArgs>& dp_scaling_flag_table() { return flags::built_once<make_dp_scaling_table>(); }
const flags::FlagTable<PipelineArgs>& pipeline_flag_table() { return flags::built_once<make_pipeline_table>(); }
const flags::FlagTable<SizeSweepArgs>& allreduce_flag_table() { return flags::built_once<make_allreduce_table>(); }
const flags::FlagTable<SizeSweepArgs>& p2p_latency_flag_table() { return flags::built_once<make_p2p_latency_table>(); }

void validate_size_sweep_args(const SizeSweepArgs& args) {
  if (args.max_bytes < args.min_bytes)
    throw UsageError("--max_bytes " + std::to_string(args.max_bytes) + " is below --min_bytes " +
                     std::to_string(args.min_bytes));
}

}  // namespace tandem::bench
