#include "common/local_transport.h"

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

using std::chrono::milliseconds;

/// Long enough for any message already sent to be there; only reached when a test fails.
constexpr milliseconds kPatience{5000};
/// Slack on the time a timed-out receive waits (scheduler noise on a loaded CI machine).
constexpr auto kTimeoutSlack = milliseconds{2000};

TEST(LocalTransportTest, RanksAndSize) {
  LocalNetwork network(3);
  EXPECT_EQ(network.size(), 3);
  for (int r = 0; r < 3; ++r) {
    const auto endpoint = network.endpoint(r);
    EXPECT_EQ(endpoint->rank(), r);
    EXPECT_EQ(endpoint->size(), 3);
  }
  EXPECT_THROW(network.endpoint(3), std::out_of_range);
  EXPECT_THROW(network.endpoint(-1), std::out_of_range);
  EXPECT_THROW(LocalNetwork(0), std::invalid_argument);
}

TEST(LocalTransportTest, MessageArrivesWithSourceTagAndPayload) {
  LocalNetwork network(3);
  auto zero = network.endpoint(0);
  auto two = network.endpoint(2);
  const std::string payload("binary\0payload\xff", 15);
  two->send(0, MessageTag::kResult, payload);
  const auto envelope = zero->receive(kPatience);
  ASSERT_TRUE(envelope.has_value());
  EXPECT_EQ(envelope->source, 2);
  EXPECT_EQ(envelope->tag, MessageTag::kResult);
  EXPECT_EQ(envelope->payload, payload);
  EXPECT_EQ(envelope->payload.size(), 15u);
}

TEST(LocalTransportTest, SendToNoSuchRankThrows) {
  LocalNetwork network(2);
  auto zero = network.endpoint(0);
  EXPECT_THROW(zero->send(2, MessageTag::kSetup, "x"), std::out_of_range);
  EXPECT_THROW(zero->send(-1, MessageTag::kSetup, "x"), std::out_of_range);
}

TEST(LocalTransportTest, MessageToSelf) {
  LocalNetwork network(1);
  auto only = network.endpoint(0);
  only->send(0, MessageTag::kShutdown, "");
  const auto envelope = only->receive(kPatience);
  ASSERT_TRUE(envelope.has_value());
  EXPECT_EQ(envelope->source, 0);
  EXPECT_EQ(envelope->tag, MessageTag::kShutdown);
  EXPECT_TRUE(envelope->payload.empty());
}

TEST(LocalTransportTest, FifoPerSender) {
  constexpr int kMessages = 100;
  LocalNetwork network(3);
  auto zero = network.endpoint(0);
  auto one = network.endpoint(1);
  auto two = network.endpoint(2);
  for (int i = 0; i < kMessages; ++i) {
    one->send(0, MessageTag::kEvaluate, "1:" + std::to_string(i));
    two->send(0, MessageTag::kResult, "2:" + std::to_string(i));
  }
  int next_from[3] = {0, 0, 0};
  for (int i = 0; i < 2 * kMessages; ++i) {
    const auto envelope = zero->receive(kPatience);
    ASSERT_TRUE(envelope.has_value()) << "message " << i << " missing";
    const int source = envelope->source;
    ASSERT_TRUE(source == 1 || source == 2) << "source " << source;
    EXPECT_EQ(envelope->tag, source == 1 ? MessageTag::kEvaluate : MessageTag::kResult);
    EXPECT_EQ(envelope->payload, std::to_string(source) + ":" + std::to_string(next_from[source]))
        << "out of order from rank " << source;
    ++next_from[source];
  }
  EXPECT_EQ(next_from[1], kMessages);
  EXPECT_EQ(next_from[2], kMessages);
}

TEST(LocalTransportTest, ReceiveTimesOutWithNullopt) {
  LocalNetwork network(2);
  auto zero = network.endpoint(0);
  constexpr milliseconds kTimeout{50};
  const auto start = std::chrono::steady_clock::now();
  const auto envelope = zero->receive(kTimeout);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(envelope.has_value());
  EXPECT_GE(waited, kTimeout) << "returned after "
                              << std::chrono::duration<double, std::milli>(waited).count() << " ms";
  EXPECT_LT(waited, kTimeout + kTimeoutSlack);
  EXPECT_FALSE(zero->receive(milliseconds{0}).has_value());
}

TEST(LocalTransportTest, ReceiveWakesWhenAMessageArrives) {
  LocalNetwork network(2);
  auto zero = network.endpoint(0);
  auto one = network.endpoint(1);
  std::thread sender([&] {
    std::this_thread::sleep_for(milliseconds{20});
    one->send(0, MessageTag::kResult, "late");
  });
  const auto envelope = zero->receive(kPatience);
  sender.join();
  ASSERT_TRUE(envelope.has_value());
  EXPECT_EQ(envelope->payload, "late");
}

TEST(LocalTransportTest, TwoThreadsPingPong) {
  constexpr int kRounds = 1000;
  LocalNetwork network(2);
  auto zero = network.endpoint(0);
  auto one = network.endpoint(1);
  std::vector<std::string> errors;  // from the echo thread, checked after join
  std::thread echo([&] {
    for (int i = 0; i < kRounds; ++i) {
      const auto ping = one->receive(kPatience);
      if (!ping || ping->source != 0 || ping->tag != MessageTag::kEvaluate) {
        errors.push_back("bad ping " + std::to_string(i));
        return;
      }
      one->send(0, MessageTag::kResult, ping->payload + "!");
    }
  });
  int answered = 0;
  for (int i = 0; i < kRounds; ++i) {
    zero->send(1, MessageTag::kEvaluate, std::to_string(i));
    const auto pong = zero->receive(kPatience);
    if (!pong) break;  // the echo thread gave up; reported below
    EXPECT_EQ(pong->source, 1);
    EXPECT_EQ(pong->tag, MessageTag::kResult);
    if (pong->payload != std::to_string(i) + "!") {
      ADD_FAILURE() << "ping " << i << " answered with '" << pong->payload << "'";
      break;
    }
    ++answered;
  }
  echo.join();  // before any return: a joinable thread must not be destroyed
  EXPECT_EQ(answered, kRounds);
  EXPECT_TRUE(errors.empty()) << errors.front();
}

}  // namespace
}  // namespace lorahpo
