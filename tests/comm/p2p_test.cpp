#include <gtest/gtest.h>

#include <chrono>

#include "engine/error.h"
#include "parallel/comm/runtime.h"
#include "tests/comm/test_values.h"

namespace tandem::comm {
namespace {

using testing::first_mismatch;
using testing::inputs_of;
using testing::make_buffer;

// Large enough for Open MPI's rendezvous protocol, which needs the receiver.
constexpr std::size_t kLarge = (std::size_t(1) << 17) + 1;

TEST(PointToPoint, RingOfSendsAndReceives) {
  Communicator& world = comm::world();
  const int next = (world.rank() + 1) % world.size();
  const int prev = (world.rank() + world.size() - 1) % world.size();
  auto send = make_buffer(DType::Float32, kLarge, inputs_of(world.rank()));
  std::vector<unsigned char> recv(send.size());
  auto sent = world.send_async(send.data(), kLarge, DType::Float32, next, 3);
  auto received = world.recv_async(recv.data(), kLarge, DType::Float32, prev, 3);
  received->wait();
  sent->wait();
  EXPECT_EQ(first_mismatch(DType::Float32, recv, kLarge, inputs_of(prev)), -1);
}

TEST(PointToPoint, BatchExchangesWithBothNeighbours) {
  Communicator& world = comm::world();
  const int next = (world.rank() + 1) % world.size();
  const int prev = (world.rank() + world.size() - 1) % world.size();
  auto mine = make_buffer(DType::BFloat16, kLarge, inputs_of(world.rank()));
  std::vector<unsigned char> from_prev(mine.size()), from_next(mine.size());
  // Pipeline-style: activations forward, gradients backward, in one batch.
  world
      .batch_p2p_async({{P2POp::Kind::Send, mine.data(), kLarge, DType::BFloat16, next, 0},
                        {P2POp::Kind::Send, mine.data(), kLarge, DType::BFloat16, prev, 1},
                        {P2POp::Kind::Recv, from_prev.data(), kLarge, DType::BFloat16, prev, 0},
                        {P2POp::Kind::Recv, from_next.data(), kLarge, DType::BFloat16, next, 1}})
      ->wait();
  EXPECT_EQ(first_mismatch(DType::BFloat16, from_prev, kLarge, inputs_of(prev)), -1);
  EXPECT_EQ(first_mismatch(DType::BFloat16, from_next, kLarge, inputs_of(next)), -1);
}

TEST(PointToPoint, TagsKeepMessagesApart) {
  Communicator& world = comm::world();
  const int next = (world.rank() + 1) % world.size();
  const int prev = (world.rank() + world.size() - 1) % world.size();
  int32_t first = 100 + world.rank(), second = 200 + world.rank();
  int32_t got_first = 0, got_second = 0;
  auto s1 = world.send_async(&first, 1, DType::Int32, next, 10);
  auto s2 = world.send_async(&second, 1, DType::Int32, next, 20);
  world.recv_async(&got_second, 1, DType::Int32, prev, 20)->wait();  // the later tag first
  world.recv_async(&got_first, 1, DType::Int32, prev, 10)->wait();
  s1->wait();
  s2->wait();
  EXPECT_EQ(got_first, 100 + prev);
  EXPECT_EQ(got_second, 200 + prev);
}

TEST(PointToPoint, BadPeerOrTagIsRefused) {
  int32_t value = 0;
  EXPECT_THROW(world().send_async(&value, 1, DType::Int32, world().size(), 0), UsageError);
  EXPECT_THROW(world().recv_async(&value, 1, DType::Int32, 0, -1), UsageError);
  EXPECT_THROW(world().recv_async(&value, 1, DType::Int32, 0, 40000), UsageError);
}

// Rank 0 waits for a message its peer holds back: the wait must end after the
// timeout with a message naming the operation. The peer then sends, and the
// same receive completes, leaving nothing pending for later tests.
TEST(PointToPoint, WaitForAMissingPeerTimesOut) {
  Communicator& world = comm::world();
  const int peer = world.size() > 1 ? 1 : 0;
  const int tag = 77;
  auto group = world.split(0, world.rank());
  int32_t value = -1;
  std::shared_ptr<Work> received;
  if (world.rank() == 0) {
    group->set_timeout(std::chrono::seconds(2));
    received = group->recv_async(&value, 1, DType::Int32, peer, tag);
    const auto start = std::chrono::steady_clock::now();
    std::string message;
    try {
      received->wait();
    } catch (const RuntimeFailure& e) {
      message = e.what();
    }
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_GE(waited, std::chrono::milliseconds(1900));
    EXPECT_LT(waited, std::chrono::seconds(20));
    EXPECT_EQ(message, process_label() + ": recv of 1 int32 from rank " + std::to_string(peer) +
                           " (tag 77) timed out after 2 s waiting for peers; a rank may have died "
                           "or diverged");
    EXPECT_FALSE(received->done());
  }
  world.barrier();  // the peer sends only once rank 0 gave up
  const int32_t late = 1234;
  if (world.rank() == peer) group->send_async(&late, 1, DType::Int32, 0, tag)->wait();
  if (world.rank() == 0) {
    received->wait();
    EXPECT_EQ(value, late);
  }
}

}  // namespace
}  // namespace tandem::comm
