// Checkpoint commit with several fake ranks: each writes its shard into one
// checkpoint-N.partial folder, rank 0 writes the state file last and renames
// the folder, in Trainer::save_checkpoint's order with barriers between the
// phases. A checkpoint is complete only after that rename: a crash at any
// earlier point (simulated by not committing, or by a rank failing) leaves
// the previous checkpoint the newest, and the partial folder is removed when
// the next run starts.
#include "engine/checkpoint/atomic_file.h"
#include "engine/checkpoint/checkpoint_store.h"
#include "engine/error.h"
#include "tests/common/temp_dir.h"
#include "tests/runtime/support.h"

#include <gtest/gtest.h>

#include <filesystem>

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
  world.barrier();
  if (main && crash != CrashPoint::BeforeStateFile) {
    write_file_atomically((dir / CheckpointStore::kStateFile).string(), "{\"global_step\": " + std::to_string(step) + "}");
    if (crash != CrashPoint::BeforeRename) store.commit(step);
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
    EXPECT_EQ(store.latest(), (dir.path() / "checkpoint-4").string()) << "rank " << rank;
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
    EXPECT_EQ(store.latest(), (dir.path() / "checkpoint-2").string());
    EXPECT_TRUE(fs::exists(dir.path() / "checkpoint-4.partial" / shard(kRanks - 1)));
    // The next run: the host's first rank removes partial folders, then all
    // resume from the newest complete one.
    run_job(kRanks, [&](int rank, Communicator& world) {
      CheckpointStore restarted(dir.path().string(), -1);
      if (rank == 0) restarted.remove_partials();
      world.barrier();
      EXPECT_EQ(restarted.latest(), (dir.path() / "checkpoint-2").string());
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

}  // namespace
}  // namespace tandem::runtime_tests
