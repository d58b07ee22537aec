// Checkpoint commit with several fake ranks: each writes its shard into one
// checkpoint-N.partial folder and lists it in its manifest, rank 0 writes the
// state file and the job manifest last and renames the folder, in
// Trainer::save_checkpoint's order with barriers between the phases. A
// checkpoint is complete only once renamed and verified: a crash at any
// earlier point (simulated by not committing, or by a rank failing) leaves
// the previous checkpoint the newest, and the partial folder is removed when
// the next run starts. Damaged folders are set aside, never deleted.
#include "engine/checkpoint/atomic_file.h"
#include "engine/checkpoint/checkpoint_store.h"
#include "engine/error.h"
#include "engine/train/resume_step.h"
#include "tests/common/temp_dir.h"
#include "tests/runtime/support.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>

namespace tandem::runtime_tests {
namespace {
namespace fs = std::filesystem;

constexpr int kRanks = 3;

std::string shard(int rank) { return "shard-" + std::to_string(rank) + ".bin"; }

enum class CrashPoint { None, BeforeStateFile, BeforeRename };

// One save, every rank: begin on the main rank; barrier; shards; barrier;
// state file and commit on the main rank (unless it "crashes"); barrier.
void save(CheckpointStore& store, Communicator& world, int step, CrashPoint crash = CrashPoint::None) {
  const bool main = world.rank() == 0;
  if (main) store.begin(step);
  world.barrier();
  const fs::path dir = store.partial_path(step);
  write_file_atomically((dir / shard(world.rank())).string(), "step " + std::to_string(step));
  store.seal_rank(step, world.rank(), {shard(world.rank())});
  world.barrier();
  if (main && crash != CrashPoint::BeforeStateFile) {
    write_file_atomically((dir / CheckpointStore::kStateFile).string(), "{\"global_step\": " + std::to_string(step) + "}");
    if (crash != CrashPoint::BeforeRename) store.commit(step, kRanks, {CheckpointStore::kStateFile});
  }
  world.barrier();
}

void expect_complete(const TempDir& dir, int step) {
  const fs::path folder = dir.path() / CheckpointStore::folder_name(step);
  for (int r = 0; r < kRanks; ++r) EXPECT_TRUE(fs::exists(folder / shard(r))) << folder << " lacks rank " << r;
  EXPECT_TRUE(fs::exists(folder / CheckpointStore::kStateFile));
}

TEST(CheckpointCommit, EveryRanksShardLandsInOneCommittedFolder) {
  TempDir dir;
  run_job(kRanks, [&](int rank, Communicator& world) {
    CheckpointStore store(dir.path().string(), -1);
    save(store, world, 2);
    save(store, world, 4);
    // Every rank sees the same newest checkpoint once the last barrier passed.
    EXPECT_EQ(store.complete_steps(), (std::vector<int>{2, 4})) << "rank " << rank;
  });
  expect_complete(dir, 2);
  expect_complete(dir, 4);
  EXPECT_FALSE(fs::exists(dir.path() / "checkpoint-4.partial"));
}

TEST(CheckpointCommit, ACrashBeforeCommitLeavesNoCompleteCheckpoint) {
  for (CrashPoint crash : {CrashPoint::BeforeStateFile, CrashPoint::BeforeRename}) {
    SCOPED_TRACE(crash == CrashPoint::BeforeStateFile ? "before the state file" : "before the rename");
    TempDir dir;
    run_job(kRanks, [&](int, Communicator& world) {
      CheckpointStore store(dir.path().string(), -1);
      save(store, world, 2);
      save(store, world, 4, crash);
    });
    CheckpointStore store(dir.path().string(), -1);
    EXPECT_EQ(store.complete_steps(), std::vector<int>{2});
    EXPECT_TRUE(fs::exists(dir.path() / "checkpoint-4.partial" / shard(kRanks - 1)));
    // The next run: the host's first rank removes partial folders, then all
    // resume from the newest complete one.
    run_job(kRanks, [&](int rank, Communicator& world) {
      CheckpointStore restarted(dir.path().string(), -1);
      if (rank == 0) restarted.remove_partials();
      world.barrier();
      EXPECT_EQ(restarted.complete_steps(), std::vector<int>{2});
    });
    EXPECT_FALSE(fs::exists(dir.path() / "checkpoint-4.partial"));
    expect_complete(dir, 2);
  }
}

// Rank 2 fails its barrier after writing its shard: rank 0, waiting at that
// barrier, is released by the abort and never commits.
TEST(CheckpointCommit, ARankFailingMidSaveStopsTheCommit) {
  TempDir dir;
  Hub hub(kRanks);
  hub.set_timeout(kJobTimeout);
  EXPECT_THROW(run_ranks(hub,
                         [&](int rank, Communicator& world) {
                           CheckpointStore store(dir.path().string(), -1);
                           save(store, world, 2);
                           // Save 4: its barriers are rank 2's next operations; the second fails.
                           if (rank == 2) hub.fail_operation(2, hub.operations_started(2) + 2, "rank 2 lost");
                           save(store, world, 4);
                         }),
               RuntimeFailure);
  CheckpointStore store(dir.path().string(), -1);
  EXPECT_EQ(store.complete_steps(), std::vector<int>{2});
  EXPECT_FALSE(fs::exists(dir.path() / "checkpoint-4" / CheckpointStore::kStateFile));
  EXPECT_FALSE(fs::exists(dir.path() / "checkpoint-4.partial" / CheckpointStore::kStateFile));
  EXPECT_TRUE(fs::exists(dir.path() / "checkpoint-4.partial" / shard(2)));
}

TEST(CheckpointCommit, SaveTotalLimitKeepsTheNewest) {
  TempDir dir;
  run_job(kRanks, [&](int, Communicator& world) {
    CheckpointStore store(dir.path().string(), 2);
    for (int step = 1; step <= 4; ++step) save(store, world, step);
  });
  EXPECT_EQ(CheckpointStore(dir.path().string(), 2).complete_steps(), (std::vector<int>{3, 4}));
  expect_complete(dir, 4);
}

// Three saves by kRanks ranks, steps 2, 4, 6.
void save_three(const TempDir& dir, int limit) {
  run_job(kRanks, [&](int, Communicator& world) {
    CheckpointStore store(dir.path().string(), limit);
    for (int step : {2, 4, 6}) save(store, world, step);
  });
}

void truncate_file(const fs::path& file) {
  const auto size = fs::file_size(file);
  fs::resize_file(file, size - 1);
}

std::vector<std::string> warnings_of_resume(const CheckpointStore& store, std::optional<int>& found) {
  std::vector<std::string> warnings;
  found = store.newest_verified([&](const std::string& w) { warnings.push_back(w); });
  return warnings;
}

TEST(CheckpointVerify, ATruncatedShardOfTheNewestIsSetAsideAndTheOneBeforeResumed) {
  TempDir dir;
  save_three(dir, -1);
  truncate_file(dir.path() / "checkpoint-6" / shard(1));
  CheckpointStore store(dir.path().string(), -1);
  std::optional<int> found;
  const auto warnings = warnings_of_resume(store, found);
  EXPECT_EQ(found, 4);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("checkpoint-6 does not verify (" + shard(1) + " has 5 bytes, the manifest says 6)"),
            std::string::npos)
      << warnings[0];
  // Set aside, not deleted.
  EXPECT_FALSE(fs::exists(dir.path() / "checkpoint-6"));
  EXPECT_TRUE(fs::exists(dir.path() / "checkpoint-6.damaged" / shard(1)));
  EXPECT_EQ(store.steps(), (std::vector<int>{2, 4}));
}

TEST(CheckpointVerify, SameSizeCorruptionFailsTheChecksum) {
  TempDir dir;
  save_three(dir, -1);
  {
    std::fstream f(dir.path() / "checkpoint-6" / shard(2), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f.put('S' ^ 1);
  }
  std::optional<int> found;
  const auto warnings = warnings_of_resume(CheckpointStore(dir.path().string(), -1), found);
  EXPECT_EQ(found, 4);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find(shard(2) + " fails its checksum"), std::string::npos) << warnings[0];
}

TEST(CheckpointVerify, AMissingRankManifestOrStateFileIsIncomplete) {
  TempDir dir;
  save_three(dir, -1);
  fs::remove(dir.path() / "checkpoint-6" / "manifest-rank-2.json");
  fs::remove(dir.path() / "checkpoint-4" / CheckpointStore::kStateFile);
  std::optional<int> found;
  const auto warnings = warnings_of_resume(CheckpointStore(dir.path().string(), -1), found);
  EXPECT_EQ(found, 2);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("manifest-rank-2.json is missing"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find("trainer_state.json is missing"), std::string::npos) << warnings[1];
}

TEST(CheckpointVerify, FoldersNotOfOursAreLeftAlone) {
  TempDir dir;
  save_three(dir, -1);
  for (const char* name : {"checkpoint-99999999999999", "checkpoint-7x", "checkpoint--3", "checkpoint-"})
    fs::create_directory(dir.path() / name);
  CheckpointStore store(dir.path().string(), -1);
  EXPECT_EQ(store.steps(), (std::vector<int>{2, 4, 6}));
  std::optional<int> found;
  EXPECT_TRUE(warnings_of_resume(store, found).empty());
  EXPECT_EQ(found, 6);
  EXPECT_TRUE(fs::exists(dir.path() / "checkpoint-99999999999999"));
}

TEST(CheckpointVerify, AManifestCannotPointOutsideItsFolder) {
  TempDir dir;
  save_three(dir, -1);
  write_file_atomically((dir.path() / "checkpoint-6" / "manifest-rank-0.json").string(),
                        R"({"files": [{"name": "../checkpoint-4/shard-0.bin", "size": 6, "crc32c": 0}]})");
  std::optional<int> found;
  const auto warnings = warnings_of_resume(CheckpointStore(dir.path().string(), -1), found);
  EXPECT_EQ(found, 4);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("not a file of the folder"), std::string::npos) << warnings[0];
}

// save_total_limit 1: a save whose folder does not verify throws before any
// pruning, so the one checkpoint there was stays.
TEST(CheckpointCommit, PruningWaitsForTheNewCheckpointToVerify) {
  TempDir dir;
  save_three(dir, 1);
  EXPECT_EQ(CheckpointStore(dir.path().string(), 1).steps(), std::vector<int>{6});
  CheckpointStore store(dir.path().string(), 1);
  const fs::path partial = store.begin(8);
  for (int r = 0; r < kRanks; ++r) {
    write_file_atomically((partial / shard(r)).string(), "step 8");
    store.seal_rank(8, r, {shard(r)});
  }
  write_file_atomically((partial / CheckpointStore::kStateFile).string(), "{}");
  // A shard changes after its rank listed it (a bad disk): the commit must not verify.
  write_file_atomically((partial / shard(1)).string(), "step 9");
  try {
    store.commit(8, kRanks, {CheckpointStore::kStateFile});
    ADD_FAILURE() << "no error";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("does not verify (" + shard(1) + " fails its checksum)"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(store.complete_steps(), (std::vector<int>{6}));
  std::optional<int> found;
  warnings_of_resume(store, found);
  EXPECT_EQ(found, 6);
}

TEST(CheckpointCommit, PruningSkipsNewerFoldersAndKeepsTheNewestVerified) {
  TempDir dir;
  save_three(dir, -1);
  // A run resumed from step 2 (say 4 and 6 were damaged, then repaired by
  // hand) saves step 3 with limit 1: step 2 goes, 4 and 6 are newer, untouched.
  run_job(kRanks, [&](int, Communicator& world) {
    CheckpointStore store(dir.path().string(), 1);
    save(store, world, 3);
  });
  EXPECT_EQ(CheckpointStore(dir.path().string(), 1).complete_steps(), (std::vector<int>{3, 4, 6}));
}

// A folder of the same step already there (a crash after its commit, then a
// resume from an older one) moves aside; the commit never deletes it first.
TEST(CheckpointCommit, AnExistingFolderOfTheSameStepIsKeptAside) {
  TempDir dir;
  save_three(dir, -1);
  write_file_atomically((dir.path() / "checkpoint-6" / "marker").string(), "old");
  run_job(kRanks, [&](int, Communicator& world) {
    CheckpointStore store(dir.path().string(), -1);
    save(store, world, 6);
  });
  expect_complete(dir, 6);
  EXPECT_FALSE(fs::exists(dir.path() / "checkpoint-6" / "marker"));
  EXPECT_TRUE(fs::exists(dir.path() / "checkpoint-6.superseded" / "marker"));
  EXPECT_EQ(CheckpointStore(dir.path().string(), -1).complete_steps(), (std::vector<int>{2, 4, 6}));
}

// Hosts sharing one folder: every host's first rank tries its own commit after
// the committer's; only the committer renames, the others find nothing to do.
TEST(CheckpointCommit, HostLeadersSharingTheFolderLeaveTheCommitToTheMainRank) {
  TempDir dir;
  std::atomic<int> renamed_by_others{0};
  run_job(kRanks, [&](int rank, Communicator& world) {
    CheckpointStore store(dir.path().string(), 2);
    for (int step : {2, 4, 6}) {
      save(store, world, step);
      if (rank != 0 && store.commit_host_part(step)) ++renamed_by_others;
      world.barrier();
    }
  });
  EXPECT_EQ(renamed_by_others.load(), 0);
  EXPECT_EQ(CheckpointStore(dir.path().string(), 2).complete_steps(), (std::vector<int>{4, 6}));
}

// Hosts with folders of their own (SageMaker before the S3 merge): a worker
// host's part holds its ranks' manifests only, and its leader renames it.
TEST(CheckpointCommit, AWorkerHostCommitsItsOwnPart) {
  TempDir dir;
  CheckpointStore store(dir.path().string(), -1);
  const fs::path partial = store.begin(2);
  write_file_atomically((partial / shard(1)).string(), "step 2");
  store.seal_rank(2, 1, {shard(1)});
  EXPECT_TRUE(store.commit_host_part(2));
  EXPECT_TRUE(fs::exists(dir.path() / "checkpoint-2" / shard(1)));
  EXPECT_FALSE(store.commit_host_part(2));
}

// The main host's folder, where hosts do not share one: its ranks' parts and
// the job manifest commit; the whole verifies once the other host's part is merged in.
TEST(CheckpointCommit, TheMainHostCommitsItsPartAndTheMergeCompletesIt) {
  TempDir main_host, worker_host;
  CheckpointStore store(main_host.path().string(), 1);
  const fs::path partial = store.begin(2);
  write_file_atomically((partial / shard(0)).string(), "step 2");
  store.seal_rank(2, 0, {shard(0)});
  write_file_atomically((partial / CheckpointStore::kStateFile).string(), "{}");
  store.commit(2, 2, {CheckpointStore::kStateFile});
  EXPECT_TRUE(store.complete_steps().empty());  // rank 1's part is on the other host
  CheckpointStore worker(worker_host.path().string(), 1);
  const fs::path worker_partial = worker.begin(2);
  write_file_atomically((worker_partial / shard(1)).string(), "step 2");
  worker.seal_rank(2, 1, {shard(1)});
  ASSERT_TRUE(worker.commit_host_part(2));
  // SageMaker's S3 sync merges the hosts' folders.
  fs::copy(worker_host.path() / "checkpoint-2", main_host.path() / "checkpoint-2", fs::copy_options::recursive);
  EXPECT_EQ(store.complete_steps(), std::vector<int>{2});
}

// Where each rank would resume, before the ranks agree on it: the main rank
// verifies and sets the damaged newest folder aside; another host's first
// rank finds the same step without renaming anything; other ranks leave it
// to their host's first rank.
TEST(ResumeStep, EachHostsFirstRankFindsTheNewestVerifiedAndOnlyTheMainRankRenames) {
  TempDir dir;
  save_three(dir, -1);
  truncate_file(dir.path() / "checkpoint-6" / shard(1));
  fs::create_directories(dir.path() / "checkpoint-8.partial");
  const CheckpointStore store(dir.path().string(), -1);
  std::vector<std::string> warnings;
  const auto warn = [&](const std::string& w) { warnings.push_back(w); };

  EXPECT_EQ(find_resume_step(store, /*is_main=*/false, /*leads_host=*/false, warn), kResumeNotChecked);
  EXPECT_TRUE(fs::exists(dir.path() / "checkpoint-8.partial")) << "only a host's first rank cleans up";
  EXPECT_EQ(find_resume_step(store, false, true, warn), 4);
  EXPECT_FALSE(fs::exists(dir.path() / "checkpoint-8.partial"));
  EXPECT_TRUE(fs::exists(dir.path() / "checkpoint-6")) << "another host's first rank renames nothing";
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(find_resume_step(store, true, true, warn), 4);
  EXPECT_TRUE(fs::exists(dir.path() / "checkpoint-6.damaged"));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(find_resume_step(CheckpointStore(dir.file("empty"), -1), true, true, warn), kNoCheckpoint);
}

}  // namespace
}  // namespace tandem::runtime_tests
