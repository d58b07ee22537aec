// The table of `tandem generate`'s flags and the checks between them.
#include "launcher/cli/generate_args.h"

#include "engine/error.h"

namespace tandem::launcher {
namespace {

flags::FlagTable<GenerateArgs> make_table() {
  flags::CommandInfo info("tandem generate", "--model_name_or_path DIR --prompt TEXT [--key value]...",
                          "continue a prompt with a trained language model");
  info.description =
      "Reads a causal language model (GPT-2, or a GPT tandem trained and saved) and its\n"
      "tokenizer from a model folder, and prints the prompt followed by the text the model\n"
      "generates: greedily, or sampled with a temperature and top-k from a seed. Stops after\n"
      "--max_new_tokens or at the tokenizer's end-of-text token.";
  flags::FlagTable<GenerateArgs> t(info);
  using A = GenerateArgs;
  t.text("model_name_or_path", &A::model_name_or_path).metavar("dir").default_note("required")
      .help("a folder with config.json and model.safetensors (tandem train's --model_dir, or a Hugging Face GPT-2)");
  t.text("prompt", &A::prompt).metavar("text").default_note("required").help("the text to continue");
  t.integer("max_new_tokens", &A::max_new_tokens).default_to("50").at_least(1)
      .help("tokens to generate at most; prompt + these must fit the model's positions");
  t.boolean("do_sample", &A::do_sample).default_to("False").help("sample the next token (False: greedy, the most likely)");
  t.number("temperature", &A::temperature).default_to("1.0").at_least(0)
      .help("divides the logits before sampling (> 0 when sampling; lower is more conservative)");
  t.integer("top_k", &A::top_k).default_to("50").at_least(0)
      .help("sample among the k most likely tokens (0: all)");
  t.integer("seed", &A::seed).default_to("42").help("seed of the sampling");
  t.boolean("use_cache", &A::use_cache).default_to("True")
      .help("keep the keys and values of earlier tokens (False: recompute the whole sequence each step)");
  t.choice("device", {"auto", "cpu", "cuda"}, &A::device).default_to("auto").help("auto: cuda when present, else cpu");
  t.integer("num_threads", &A::num_threads).default_to("0").at_least(0)
      .help("intra-op CPU threads (0: libtorch's default)");
  t.boolean("json", &A::json).default_to("False")
      .help("print one JSON object: text, prompt and generated ids, tokens/s");
  return t;
}

}  // namespace

const flags::FlagTable<GenerateArgs>& generate_flag_table() { return flags::built_once<make_table>(); }

GenerateArgs parse_generate_args(const std::vector<std::string>& argv) { return generate_flag_table().parse(argv); }

void validate_generate_args(const GenerateArgs& args) {
  if (!args.model_name_or_path || args.model_name_or_path->empty())
    throw UsageError("tandem generate needs --model_name_or_path (a folder with config.json and model.safetensors)");
  if (!args.prompt) throw UsageError("tandem generate needs --prompt (the text to continue)");
  // The sampling knobs together are checked where they are used (engine/generate/sampler.h).
}

}  // namespace tandem::launcher
