// The agreement before the first step (parallel/comm/rank_agreement.h, and
// run/start_agreement.h for `tandem train`'s facts) on fake ranks: agreeing
// ranks get the facts back, a count only some ranks know is filled in from
// them, a disagreement is one line naming the fact, the values and the ranks,
// and a setup error on one rank is relayed to every rank with its rank and
// exit code. Every rank leaves with the same verdict, and none waits for the
// timeout.
#include "engine/error.h"
#include "engine/train/resume_step.h"
#include "parallel/comm/rank_agreement.h"
#include "run/start_agreement.h"
#include "tests/common/temp_dir.h"
#include "tests/e2e/fixtures.h"
#include "tests/runtime/support.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <mutex>

namespace tandem::runtime_tests {
namespace {

using comm::AgreedFact;
using comm::RankSetup;

// What each rank of a job left the agreement with.
struct Verdict {
  int exit_code = 0;  // 0: agreed
  std::string message;
  std::vector<AgreedFact> facts;
};

// Runs the agreement on `ranks` fake ranks, each bringing setup_of(rank).
// Fails the test if any rank took near the job's timeout.
std::vector<Verdict> agree(int ranks, const std::function<RankSetup(int)>& setup_of) {
  std::vector<Verdict> verdicts(ranks);
  const auto t0 = std::chrono::steady_clock::now();
  run_job(ranks, [&](int rank, Communicator& world) {
    try {
      verdicts[rank].facts = comm::agree_across_ranks(world, setup_of(rank));
    } catch (const JobWideFailure& e) {
      verdicts[rank] = {e.exit_code(), e.what(), {}};
    }
  });
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5)) << "a rank waited";
  return verdicts;
}

// The one verdict every rank reached (the test fails if they differ).
Verdict same_on_every_rank(const std::vector<Verdict>& verdicts) {
  for (std::size_t r = 1; r < verdicts.size(); ++r) {
    EXPECT_EQ(verdicts[r].exit_code, verdicts[0].exit_code) << "rank " << r;
    EXPECT_EQ(verdicts[r].message, verdicts[0].message) << "rank " << r;
  }
  return verdicts[0];
}

std::vector<AgreedFact> plan(int64_t steps, int64_t examples, int64_t resume,
                             std::vector<std::string> arguments = {"--max_steps 4", "--learning_rate 0.003"}) {
  return {AgreedFact::text("arguments", std::move(arguments), "every rank must be started with the same arguments"),
          AgreedFact::number("training steps", steps, "each rank must read the same dataset"),
          AgreedFact::number("training examples", examples, "each rank must read the same dataset"),
          AgreedFact::number("resume step", resume, "every host must see the same checkpoints")};
}

TEST(RankAgreement, AgreeingRanksGetTheFactsWithCountsFromTheRanksThatKnowThem) {
  // Only rank 0 (the host's first) looked for a checkpoint: the others learn its step.
  const auto verdicts = agree(3, [](int rank) {
    return RankSetup{plan(120, 480, rank == 0 ? 40 : AgreedFact::kNotKnown), 0, "", ""};
  });
  for (int r = 0; r < 3; ++r) {
    ASSERT_EQ(verdicts[r].exit_code, 0) << verdicts[r].message;
    ASSERT_EQ(verdicts[r].facts.size(), 4u);
    EXPECT_EQ(verdicts[r].facts[1].count, 120);
    EXPECT_EQ(verdicts[r].facts[3].count, 40) << "rank " << r;
  }
}

struct DisagreementCase {
  std::string name;
  int ranks;
  std::function<RankSetup(int)> setup_of;
  std::string expected;  // the whole line
};

class RankDisagreement : public ::testing::TestWithParam<DisagreementCase> {};

TEST_P(RankDisagreement, EveryRankExitsWithOneLineNamingTheFactValuesAndRanks) {
  const Verdict v = same_on_every_rank(agree(GetParam().ranks, GetParam().setup_of));
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_EQ(v.message, GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Facts, RankDisagreement,
    ::testing::Values(
        DisagreementCase{"StepsOnRank1", 2,
                         [](int rank) { return RankSetup{plan(rank == 1 ? 60 : 120, 480, -1), 0, "", ""}; },
                         "ranks disagree on training steps: rank 0 has 120, rank 1 has 60 (each rank must read the "
                         "same dataset)"},
        DisagreementCase{"ExamplesOnRanks1And3", 4,
                         [](int rank) { return RankSetup{plan(120, rank % 2 ? 240 : 480, -1), 0, "", ""}; },
                         "ranks disagree on training examples: rank 0 has 480, rank 1 has 240 (each rank must read "
                         "the same dataset); ranks that differ from rank 0: 1, 3"},
        DisagreementCase{"TheFirstFactThatDiffersIsNamed", 2,
                         [](int rank) { return RankSetup{plan(rank ? 60 : 120, rank ? 240 : 480, rank), 0, "", ""}; },
                         "ranks disagree on training steps: rank 0 has 120, rank 1 has 60 (each rank must read the "
                         "same dataset)"},
        DisagreementCase{"ResumeStepBetweenTheRanksThatLooked", 4,
                         [](int rank) {
                           return RankSetup{plan(120, 480, rank == 0 ? 40 : rank == 2 ? 20 : AgreedFact::kNotKnown),
                                            0, "", ""};
                         },
                         "ranks disagree on resume step: rank 0 has 40, rank 2 has 20 (every host must see the same "
                         "checkpoints)"},
        DisagreementCase{"TheFlagThatDiffers", 2,
                         [](int rank) {
                           return RankSetup{plan(120, 480, -1, {"--max_steps 4", rank ? "--learning_rate 0.001"
                                                                                       : "--learning_rate 0.003"}),
                                            0, "", ""};
                         },
                         "ranks disagree on arguments: rank 0 has \"--learning_rate 0.003\", rank 1 has "
                         "\"--learning_rate 0.001\" (every rank must be started with the same arguments)"},
        DisagreementCase{"AFlagOnlyOneRankHas", 2,
                         [](int rank) {
                           std::vector<std::string> args{"--max_steps 4"};
                           if (rank == 1) args.push_back("--seed 7");
                           return RankSetup{plan(120, 480, -1, args), 0, "", ""};
                         },
                         "ranks disagree on arguments: rank 0 has nothing more, rank 1 has \"--seed 7\" (every rank "
                         "must be started with the same arguments)"}),
    [](const ::testing::TestParamInfo<DisagreementCase>& info) { return info.param.name; });

TEST(RankAgreement, ASetupErrorOnOneRankReachesEveryRankWithItsRankAndExitCode) {
  const Verdict v = same_on_every_rank(agree(3, [](int rank) {
    return rank == 1 ? RankSetup{{}, 2, "--learning_rate: expected a number, got \"fast\"", ""} : RankSetup{plan(120, 480, -1), 0, "", ""};
  }));
  EXPECT_EQ(v.exit_code, 2);
  EXPECT_EQ(v.message, "rank 1: --learning_rate: expected a number, got \"fast\"");
}

TEST(RankAgreement, AFailingRankIsNamedAsItNamesItself) {
  const Verdict v = same_on_every_rank(agree(2, [](int rank) {
    RankSetup setup = rank ? RankSetup{{}, 1, "channel train: no file", ""} : RankSetup{plan(1, 1, -1), 0, "", ""};
    setup.who = "rank " + std::to_string(rank) + " (host algo-" + std::to_string(rank + 1) + ")";
    return setup;
  }));
  EXPECT_EQ(v.message, "rank 1 (host algo-2): channel train: no file");
}

TEST(RankAgreement, TheLowestFailingRankIsReportedWithItsOwnExitCode) {
  const Verdict v = same_on_every_rank(agree(4, [](int rank) {
    if (rank == 3) return RankSetup{{}, 2, "--seed: expected an integer", ""};
    if (rank == 2) return RankSetup{{}, 1, "data/train: no such folder", ""};
    return RankSetup{plan(120, 480, -1), 0, "", ""};
  }));
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_EQ(v.message, "rank 2: data/train: no such folder");
}

TEST(RankAgreement, TheSameErrorOnEveryRankNeedsNoRank) {
  const Verdict v = same_on_every_rank(agree(3, [](int) { return RankSetup{{}, 2, "--seed: expected an integer", ""}; }));
  EXPECT_EQ(v.exit_code, 2);
  EXPECT_EQ(v.message, "--seed: expected an integer");
}

TEST(RankAgreement, OneRankAloneKeepsItsMessageUnprefixed) {
  const Verdict v = agree(1, [](int) { return RankSetup{{}, 2, "--seed: expected an integer", ""}; })[0];
  EXPECT_EQ(v.exit_code, 2);
  EXPECT_EQ(v.message, "--seed: expected an integer");
}

TEST(RankAgreement, ALongErrorIsCutNotDropped) {
  const std::string long_error(10000, 'e');
  const Verdict v = same_on_every_rank(agree(2, [&](int rank) {
    return rank ? RankSetup{{}, 1, long_error, ""} : RankSetup{plan(1, 1, -1), 0, "", ""};
  }));
  EXPECT_EQ(v.message, ("rank 1: " + long_error).substr(0, 4096));
}

// tandem train's facts: ranks given the same arguments but reading different
// data (as hosts do under S3's ShardedByS3Key) disagree on the steps, not hang.
TEST(TrainingFacts, ADifferentDatasetBehindTheSameArgumentsIsNamedAsDisagreeingSteps) {
  TempDir dir;
  e2e::write_lm_channels(dir);
  dir.write("data/half/a.txt", e2e::tiny_corpus(10));
  TrainArgs args;
  args.model_name_or_path = "gpt-tiny";
  args.task = "auto";
  args.block_size = 32;
  args.per_device_train_batch_size = 2;
  args.epochs = 1;
  args.max_steps = 0;
  args.do_eval = false;
  const std::vector<std::string> argv{"--model_name_or_path", "gpt-tiny", "--epochs", "1"};
  const Verdict v = same_on_every_rank(agree(2, [&](int rank) {
    TrainArgs mine = args;
    mine.training_dir = dir.file(rank == 1 ? "data/half" : "data/train");
    const TrainingSetup setup = prepare_training(mine);
    return RankSetup{run::training_facts(argv, mine, setup, 2, rank == 0 ? kNoCheckpoint : kResumeNotChecked), 0, "", ""};
  }));
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_EQ(v.message.rfind("ranks disagree on training steps: rank 0 has ", 0), 0u) << v.message;
  EXPECT_NE(v.message.find(", rank 1 has "), std::string::npos) << v.message;
  EXPECT_NE(v.message.find("(each rank must read the same dataset)"), std::string::npos) << v.message;
}

TEST(TrainingFacts, AgreeingRanksResumeFromTheStepTheMainRankFound) {
  TempDir dir;
  e2e::write_lm_channels(dir);
  TrainArgs args;
  args.model_name_or_path = "gpt-tiny";
  args.task = "auto";
  args.block_size = 32;
  args.max_steps = 3;
  args.do_eval = false;
  args.training_dir = dir.file("data/train");
  const TrainingSetup setup = prepare_training(args);
  const auto verdicts = agree(2, [&](int rank) {
    return RankSetup{run::training_facts({"--max_steps", "3"}, args, setup, 2, rank == 0 ? 2 : kResumeNotChecked), 0,
                     "", ""};
  });
  for (const Verdict& v : verdicts) {
    ASSERT_EQ(v.exit_code, 0) << v.message;
    EXPECT_EQ(run::agreed_resume_step(v.facts), 2);
  }
}

}  // namespace
}  // namespace tandem::runtime_tests
