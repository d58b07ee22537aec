// The generic flag table on a toy command with one flag of every kind:
// defaults (fixed and SM_*), the accepted forms, every refusal as a row, and
// --help generated from the same specs.
#include "common/flags/flag_table.h"
#include "engine/error.h"
#include "tests/common/error_matchers.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tandem::flags {
namespace {

struct ToyArgs {
  int steps{};
  std::optional<int> hosts;
  double rate{};
  bool eval{};
  std::string dir, mode;
  std::size_t bytes{};
  bool dry_run{};
  std::string job;
  std::vector<std::string> given;
};

FlagTable<ToyArgs> toy_table(const std::string& positional = "JOB.json") {
  CommandInfo info("toy", "[--key value]...", "a toy command");
  info.description = "Says nothing.";
  info.epilogue = "Bye.";
  info.positional = positional;
  FlagTable<ToyArgs> t(info);
  if (!positional.empty()) t.positional(&ToyArgs::job);
  t.record_given(&ToyArgs::given);
  t.integer("steps", &ToyArgs::steps).alias("num-steps").default_to("10").at_least(1).at_most(100).help("how many");
  t.integer("hosts", &ToyArgs::hosts).above(0).default_note("the job's").help("override hosts");
  t.number("rate", &ToyArgs::rate).alias("lr").default_to("0.5").at_least(0).below(1).help("a fraction");
  t.boolean("eval", &ToyArgs::eval).default_to("True").help("evaluate");
  t.text("dir", &ToyArgs::dir).metavar("dir").default_from_env("SM_TOY_DIR", "local/dir").help("a folder");
  t.choice("mode", {"fast", "slow"}, &ToyArgs::mode).default_to("fast").help("how");
  t.bytes("bytes", &ToyArgs::bytes).default_to("4K").at_least(4).help("a size");
  t.switch_flag("dry-run", &ToyArgs::dry_run).help("run nothing");
  return t;
}

std::string usage_error(const FlagTable<ToyArgs>& table, const std::vector<std::string>& argv) {
  return error_message_of<UsageError>([&] { table.parse(argv); });
}

TEST(FlagTable, DefaultsComeFromTheTableAndTheEnvironment) {
  const auto a = toy_table().parse({});
  EXPECT_EQ(a.steps, 10);
  EXPECT_FALSE(a.hosts);
  EXPECT_EQ(a.rate, 0.5);
  EXPECT_TRUE(a.eval);
  EXPECT_EQ(a.dir, "local/dir");
  EXPECT_EQ(a.mode, "fast");
  EXPECT_EQ(a.bytes, 4096u);
  EXPECT_FALSE(a.dry_run);
  EXPECT_TRUE(a.given.empty());
  EXPECT_EQ(toy_table().parse({}, {{"SM_TOY_DIR", "/opt/ml/toy"}}).dir, "/opt/ml/toy");
  EXPECT_EQ(toy_table().parse({}, {{"SM_TOY_DIR", ""}}).dir, "local/dir");  // set but empty: not a folder
}

TEST(FlagTable, ValuesAliasesSwitchesAndThePositional) {
  const auto a = toy_table().parse({"job.json", "--num-steps", "7", "--hosts=3", "--lr", "1e-3", "--eval", "False",
                                    "--dir", "/d", "--mode", "slow", "--bytes", "64M", "--dry-run"},
                                   {});
  EXPECT_EQ(a.job, "job.json");
  EXPECT_EQ(a.steps, 7);
  EXPECT_EQ(a.hosts, 3);
  EXPECT_DOUBLE_EQ(a.rate, 1e-3);
  EXPECT_FALSE(a.eval);
  EXPECT_EQ(a.dir, "/d");
  EXPECT_EQ(a.mode, "slow");
  EXPECT_EQ(a.bytes, std::size_t(64) << 20);
  EXPECT_TRUE(a.dry_run);
  EXPECT_EQ(a.given, (std::vector<std::string>{"steps", "hosts", "rate", "eval", "dir", "mode", "bytes", "dry-run"}));
  // A later flag overrides an earlier one, whatever spelling each used.
  EXPECT_EQ(toy_table().parse({"--num-steps", "7", "--steps", "8"}).steps, 8);
  EXPECT_EQ(toy_table().parse({"--num-steps", "7", "--lr", "0"}).given, (std::vector<std::string>{"steps", "rate"}));
}

struct RefusalRow {
  const char* name;
  std::vector<std::string> argv;
  const char* message;  // the whole message
};

void PrintTo(const RefusalRow& row, std::ostream* os) { *os << row.name; }

class Refusal : public testing::TestWithParam<RefusalRow> {};

TEST_P(Refusal, NamesTheFlagAndWhatWasExpected) {
  EXPECT_EQ(usage_error(toy_table(), GetParam().argv), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Toy, Refusal,
    testing::Values(
        RefusalRow{"UnknownWithSuggestion", {"--step", "3"}, "unknown flag --step (did you mean --steps?) (see toy --help)"},
        RefusalRow{"UnderscoreForHyphen", {"--dry_run"}, "unknown flag --dry_run (did you mean --dry-run?) (see toy --help)"},
        RefusalRow{"UnknownWithValue", {"--colour=red"}, "unknown flag --colour (see toy --help)"},
        RefusalRow{"SingleDash", {"-steps", "3"}, "unknown flag -steps (did you mean --steps?) (see toy --help)"},
        RefusalRow{"MissingValueAtTheEnd", {"--steps"}, "--steps needs a value (an integer from 1 to 100)"},
        RefusalRow{"MissingValueBeforeAFlag", {"--eval", "--steps", "2"}, "--eval needs a value (True or False)"},
        RefusalRow{"MissingTextValue", {"--dir"}, "--dir needs a value (dir)"},
        RefusalRow{"ValueForASwitch", {"--dry-run=True"}, "--dry-run takes no value (it is a switch: present or absent)"},
        RefusalRow{"NotAnInteger", {"--steps", "ten"}, "--steps: \"ten\" is not an integer"},
        RefusalRow{"FractionForAnInteger", {"--steps", "2.5"}, "--steps: \"2.5\" is not an integer"},
        RefusalRow{"SpaceBeforeAnInteger", {"--steps", " 2"}, "--steps: \" 2\" is not an integer"},
        RefusalRow{"IntegerBeyond32Bits", {"--hosts", "4294967296"},
                   "--hosts: \"4294967296\" is out of range (expected an integer > 0 that fits in 32 bits)"},
        RefusalRow{"IntegerBelowTheRange", {"--steps", "0"}, "--steps: \"0\" is out of range (expected an integer from 1 to 100)"},
        RefusalRow{"IntegerAboveTheRange", {"--steps", "101"},
                   "--steps: \"101\" is out of range (expected an integer from 1 to 100)"},
        RefusalRow{"StrictLowerBound", {"--hosts", "0"}, "--hosts: \"0\" is out of range (expected an integer > 0)"},
        RefusalRow{"NotANumber", {"--rate", "1e"}, "--rate: \"1e\" is not a number"},
        RefusalRow{"EmptyNumber", {"--rate="}, "--rate: \"\" is not a number"},
        RefusalRow{"NaN", {"--rate", "nan"}, "--rate: \"nan\" is not a finite number"},
        RefusalRow{"Infinity", {"--rate", "-inf"}, "--rate: \"-inf\" is not a finite number"},
        RefusalRow{"Overflow", {"--rate", "1e999"}, "--rate: \"1e999\" is not a finite number"},
        RefusalRow{"StrictUpperBound", {"--rate", "1"}, "--rate: \"1\" is out of range (expected a number >= 0 and < 1)"},
        RefusalRow{"NotABoolean", {"--eval", "yes"}, "--eval: \"yes\" is not a boolean (expected True or False)"},
        RefusalRow{"NotAChoice", {"--mode", "Fast"}, "--mode: \"Fast\" is not one of fast, slow"},
        RefusalRow{"NotASize", {"--bytes", "4KB"}, "--bytes: \"4KB\" is not a size (expected e.g. 8, 4K, 64M or 1G)"},
        RefusalRow{"NegativeSize", {"--bytes", "-4"}, "--bytes: \"-4\" is not a size (expected e.g. 8, 4K, 64M or 1G)"},
        RefusalRow{"SizeBelowTheRange", {"--bytes", "2"},
                   "--bytes: \"2\" is out of range (expected a size in bytes >= 4 (8, 4K, 64M, 1G))"},
        RefusalRow{"TwoPositionals", {"a.json", "b.json"}, "one JOB.json at a time: got a.json and b.json"},
        RefusalRow{"DoubleDashAlone", {"--"}, "unexpected argument \"--\" (expected --key value pairs; see toy --help)"}),
    [](const testing::TestParamInfo<RefusalRow>& info) { return std::string(info.param.name); });

TEST(FlagTable, WithoutAPositionalAStrayWordIsRefused) {
  EXPECT_EQ(usage_error(toy_table(""), {"stray"}),
            "unexpected argument \"stray\" (expected --key value pairs; see toy --help)");
}

TEST(FlagTable, BooleanSpellingsAndChoicesOfTrueAndFalse) {
  for (const char* yes : {"True", "true", "1"}) EXPECT_TRUE(toy_table().parse({"--eval", yes}).eval) << yes;
  for (const char* no : {"False", "false", "0"}) EXPECT_FALSE(toy_table().parse({"--eval", no}).eval) << no;
  FlagTable<ToyArgs> t(CommandInfo("toy"));
  t.choice("mode", {"auto", "True", "False"}, &ToyArgs::mode).default_to("auto");
  EXPECT_EQ(t.parse({"--mode", "true"}).mode, "True");  // stored in SageMaker's spelling
  EXPECT_EQ(t.parse({"--mode", "0"}).mode, "False");
  EXPECT_EQ(usage_error(t, {"--mode", "yes"}), "--mode: \"yes\" is not one of auto, True, False");
}

TEST(FlagTable, HelpShowsEveryFlagWithTypeRangeAndDefault) {
  const auto table = toy_table();
  const std::string help = table.help({{"SM_TOY_DIR", "/opt/ml/toy"}});
  EXPECT_EQ(help.rfind("usage: toy [--key value]...\n\nSays nothing.\n\nflags:\n", 0), 0u) << help;
  EXPECT_NE(help.find("  --steps, --num-steps <int>  (from 1 to 100)\n      how many (default: 10)\n"), std::string::npos) << help;
  EXPECT_NE(help.find("  --hosts <int>  (> 0)\n      override hosts (default: the job's)\n"), std::string::npos) << help;
  EXPECT_NE(help.find("  --rate, --lr <float>  (>= 0 and < 1)\n      a fraction (default: 0.5)\n"), std::string::npos) << help;
  EXPECT_NE(help.find("  --eval <True|False>\n"), std::string::npos) << help;
  EXPECT_NE(help.find("  --dir <dir>\n      a folder (default: /opt/ml/toy)\n"), std::string::npos) << help;
  EXPECT_NE(help.find("  --mode <fast|slow>\n"), std::string::npos) << help;
  EXPECT_NE(help.find("  --dry-run\n      run nothing\n"), std::string::npos) << help;
  EXPECT_EQ(help.substr(help.size() - 5), "Bye.\n");
  for (const auto& name : table.names()) EXPECT_NE(help.find("  --" + name), std::string::npos) << name;
  EXPECT_EQ(table.names(), (std::vector<std::string>{"steps", "hosts", "rate", "eval", "dir", "mode", "bytes", "dry-run"}));
}

TEST(FlagTable, ATableRefusesItsOwnMistakes) {
  FlagTable<ToyArgs> t(CommandInfo("toy"));
  t.integer("steps", &ToyArgs::steps);
  EXPECT_THROW(t.integer("steps", &ToyArgs::steps), std::logic_error);
  EXPECT_THROW(t.text("dir", &ToyArgs::dir).alias("steps"), std::logic_error);
  EXPECT_THROW(t.text("job", &ToyArgs::job).at_least(1), std::logic_error);
  EXPECT_THROW(t.positional(&ToyArgs::job), std::logic_error);  // CommandInfo names no positional
}

TEST(ClosestFlag, SuggestsOnlyWhatIsClose) {
  const auto specs = toy_table().specs();
  EXPECT_EQ(closest_flag(specs, "num_steps"), "steps");  // an alias's spelling suggests the canonical name
  EXPECT_EQ(closest_flag(specs, "rat"), "rate");
  EXPECT_EQ(closest_flag(specs, "learning_rate"), "");
  EXPECT_EQ(closest_flag(specs, "x"), "");
}

TEST(WantsHelp, AnywhereOnTheLine) {
  EXPECT_TRUE(wants_help({"--steps", "1", "--help"}));
  EXPECT_TRUE(wants_help({"-h"}));
  EXPECT_FALSE(wants_help({"--helper", "1"}));
}

}  // namespace
}  // namespace tandem::flags
