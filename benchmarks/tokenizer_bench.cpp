// Tokenizer throughput: tandem's tokenizer for a model directory against
// Hugging Face tokenizers (benchmarks/peer/hf_tokenizer_throughput.py) on the
// same lines and thread count. Both sides encode every non-empty line without
// special tokens; the token counts and id sums must agree (#wrong otherwise).
// Prints one row per side: tokens, median tokens/s, min-max over the runs, and
// the ratio. Training tokenizes once, before the first step; this says how long that takes.

#include "benchmarks/bench_args.h"
#include "engine/tokenizer/load_tokenizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace {
namespace fs = std::filesystem;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw tandem::UsageError("--text_file: " + path + " cannot be opened for reading");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The fortunes corpus as one text file (the peer reads a file too).
std::string fortunes_file() {
  const fs::path dir = "/usr/share/games/fortunes";
  if (!fs::is_directory(dir)) throw tandem::UsageError("--text_file not given and " + dir.string() + " is missing");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension().empty()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  const auto out = fs::temp_directory_path() / "tandem-tokenizer-bench-fortunes.txt";
  std::ofstream o(out, std::ios::binary);
  for (const auto& f : files) o << read_all(f.string()) << '\n';
  return out.string();
}

struct Side {
  int64_t tokens = 0, id_sum = 0;
  std::vector<double> seconds;
};

Side run_tandem(const tandem::Tokenizer& tok, const std::vector<std::string_view>& lines, int threads, int runs) {
  Side side;
  for (int r = 0; r <= runs; ++r) {  // run 0 warms up
    std::vector<int64_t> tokens(threads, 0), sums(threads, 0);
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        for (size_t i = t; i < lines.size(); i += threads) {
          const auto ids = tok.encode(lines[i]);
          tokens[t] += static_cast<int64_t>(ids.size());
          for (int32_t id : ids) sums[t] += id;
        }
      });
    for (auto& th : pool) th.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r > 0) side.seconds.push_back(s);
    side.tokens = 0;
    side.id_sum = 0;
    for (int t = 0; t < threads; ++t) side.tokens += tokens[t], side.id_sum += sums[t];
  }
  return side;
}

Side run_peer(const std::string& dir, const std::string& text, int threads, int runs) {
  const std::string command = std::string(TANDEM_PYTHON) + " " TANDEM_SOURCE_DIR "/benchmarks/peer/hf_tokenizer_throughput.py '" +
                              dir + "' '" + text + "' " + std::to_string(threads) + " " + std::to_string(runs);
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw tandem::RuntimeFailure("cannot start the peer: " + command);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  if (pclose(pipe) != 0) throw tandem::RuntimeFailure("the peer failed: " + command);
  const auto j = nlohmann::json::parse(out.substr(out.rfind('{')));
  return {j["tokens"].get<int64_t>(), j["id_sum"].get<int64_t>(), j["seconds"].get<std::vector<double>>()};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

void print_row(const char* name, const Side& s) {
  const auto [lo, hi] = std::minmax_element(s.seconds.begin(), s.seconds.end());
  std::printf("%-10s %10lld %14.0f %12.0f-%-12.0f\n", name, static_cast<long long>(s.tokens), s.tokens / median(s.seconds),
              s.tokens / *hi, s.tokens / *lo);
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = tandem::bench::parse_or_exit(tandem::bench::tokenizer_flag_table(), argc, argv);
  try {
    if (args.tokenizer_dir.empty()) throw tandem::UsageError("--tokenizer_dir: required (a model directory)");
    const auto tok = tandem::load_tokenizer(args.tokenizer_dir);
    if (!tok)
      throw tandem::UsageError("--tokenizer_dir: " + args.tokenizer_dir +
                               " holds no tokenizer.json, vocab.json + merges.txt or vocab.txt");
    const std::string text_file = args.text_file.empty() ? fortunes_file() : args.text_file;
    const std::string text = read_all(text_file);
    std::vector<std::string_view> lines;
    for (size_t pos = 0; pos < text.size();) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      if (end > pos) lines.emplace_back(text.data() + pos, end - pos);
      pos = end + 1;
    }
    std::printf("tokenizer %s (%s), %zu lines, %zu bytes, %d thread(s), %d runs\n", args.tokenizer_dir.c_str(),
                tok->kind().c_str(), lines.size(), text.size(), args.threads, args.runs);
    std::printf("%-10s %10s %14s %25s\n", "side", "tokens", "median tok/s", "range tok/s");
    const Side mine = run_tandem(*tok, lines, args.threads, args.runs);
    print_row("tandem", mine);
    if (!args.peer) return 0;
    const Side hf = run_peer(args.tokenizer_dir, text_file, args.threads, args.runs);
    print_row("hf", hf);
    const bool same = mine.tokens == hf.tokens && mine.id_sum == hf.id_sum;
    std::printf("tandem / hf: %.2fx   #wrong: %d\n", median(hf.seconds) / median(mine.seconds), same ? 0 : 1);
    return same ? 0 : 1;
  } catch (const tandem::UsageError& e) {
    std::fprintf(stderr, "tokenizer_bench: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tokenizer_bench: error: %s\n", e.what());
    return 1;
  }
}
