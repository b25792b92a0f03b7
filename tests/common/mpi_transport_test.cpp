// Runs under mpirun at several rank counts (see lorahpo_add_mpi_test).

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "common/messages.h"
#include "common/mpi_transport.h"

namespace lorahpo {
namespace {

using std::chrono::milliseconds;

/// Receives until a message arrives; fails the test after 30 s.
Envelope receive_one(Transport& transport) {
  for (int i = 0; i < 30; ++i) {
    if (auto envelope = transport.receive(milliseconds(1000))) return *envelope;
  }
  ADD_FAILURE() << "rank " << transport.rank() << " received nothing in 30 s";
  return {};
}

TEST(MpiTransport, EveryWorkerEchoesAnEncodedMessage) {
  MpiTransport transport;
  ASSERT_GE(transport.size(), 2);
  if (transport.rank() == 0) {
    for (int w = 1; w < transport.size(); ++w) {
      EvaluateMessage request;
      request.trial_id = 100 + w;
      request.params = {1e-4, std::int64_t{w}, std::string("bf16-true")};
      request.trial_dir = "/tmp/trial";
      transport.send(w, MessageTag::kEvaluate, encode(request));
    }
    std::vector<bool> seen(static_cast<std::size_t>(transport.size()), false);
    for (int i = 1; i < transport.size(); ++i) {
      const Envelope envelope = receive_one(transport);
      ASSERT_EQ(envelope.tag, MessageTag::kResult);
      const auto result = decode<ResultMessage>(envelope.payload);
      EXPECT_EQ(result.trial_id, 100 + envelope.source);
      EXPECT_DOUBLE_EQ(result.score, 0.5 * envelope.source);
      EXPECT_EQ(result.reason, std::string(70000, 'x'));  // larger than an eager MPI message
      seen[static_cast<std::size_t>(envelope.source)] = true;
    }
    for (int w = 1; w < transport.size(); ++w) EXPECT_TRUE(seen[static_cast<std::size_t>(w)]) << w;
  } else {
    const Envelope envelope = receive_one(transport);
    ASSERT_EQ(envelope.source, 0);
    ASSERT_EQ(envelope.tag, MessageTag::kEvaluate);
    const auto request = decode<EvaluateMessage>(envelope.payload);
    EXPECT_EQ(std::get<std::int64_t>(request.params[1]), transport.rank());
    EXPECT_EQ(std::get<std::string>(request.params[2]), "bf16-true");
    ResultMessage result;
    result.trial_id = request.trial_id;
    result.score = 0.5 * transport.rank();
    result.reason = std::string(70000, 'x');
    transport.send(0, MessageTag::kResult, encode(result));
  }
}

TEST(MpiTransport, ReceiveTimesOutWhenNothingIsSent) {
  MpiTransport transport;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(transport.receive(milliseconds(50)).has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(50));
}

}  // namespace
}  // namespace lorahpo
