#include "common/messages.h"

#include <cstdint>
#include <exception>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

SearchSpace all_kinds_space() {
  Parameter dropout;
  dropout.name = "dropout";
  dropout.low = 0.0;
  dropout.high = 0.3;
  Parameter lr;
  lr.name = "learning_rate";
  lr.low = -5.0;
  lr.high = -2.0;
  lr.transform = Transform::kPow10;
  Parameter rank;
  rank.name = "lora_r";
  rank.type = ParamType::kInt;
  rank.low = 2;
  rank.high = 512;
  Parameter optimizer;
  optimizer.name = "optimizer";
  optimizer.type = ParamType::kCategorical;
  optimizer.choices = {"adamw", "sgd", "lion"};
  return SearchSpace({dropout, lr, rank, optimizer});
}

void expect_same_parameter(const Parameter& a, const Parameter& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.type, b.type) << a.name;
  EXPECT_EQ(a.low, b.low) << a.name;
  EXPECT_EQ(a.high, b.high) << a.name;
  EXPECT_EQ(a.transform, b.transform) << a.name;
  EXPECT_EQ(a.choices, b.choices) << a.name;
}

SetupMessage command_setup() {
  SetupMessage setup;
  setup.objective.kind = ObjectiveKind::kCommand;
  setup.objective.command.argv = {"python", "train.py", "--lr={learning_rate}", "--r={lora_r}"};
  setup.objective.command.timeout_seconds = 1234.5;
  setup.objective.command.result = ResultSpec{"{trial_dir}/results.json", "/results/acc"};
  setup.objective.command.env = {{"HF_HOME", "/scratch/hf"}, {"RUN", "{trial_id}"}};
  setup.objective.builtin.function = "branin";
  setup.objective.builtin.dim = 2;
  setup.objective.builtin.noise_sd = 0.25;
  setup.objective.builtin.cost = CostModel{1.5, 0.01, "lora_r"};
  setup.space = all_kinds_space();
  setup.seed = 0xfedcba9876543210ULL;
  setup.config_dir = "/home/user/campaign";
  return setup;
}

TEST(MessagesTest, SetupRoundTrip) {
  const SetupMessage sent = command_setup();
  const auto received = decode<SetupMessage>(encode(sent));

  EXPECT_EQ(received.objective.kind, ObjectiveKind::kCommand);
  const CommandObjective& c = received.objective.command;
  EXPECT_EQ(c.argv, sent.objective.command.argv);
  EXPECT_EQ(c.timeout_seconds, 1234.5);
  EXPECT_EQ(c.result.file, "{trial_dir}/results.json");
  EXPECT_EQ(c.result.pointer, "/results/acc");
  EXPECT_EQ(c.env, sent.objective.command.env);

  const BuiltinObjective& b = received.objective.builtin;
  EXPECT_EQ(b.function, "branin");
  EXPECT_EQ(b.dim, 2);
  EXPECT_EQ(b.noise_sd, 0.25);
  EXPECT_EQ(b.cost.base_seconds, 1.5);
  EXPECT_EQ(b.cost.slope_seconds, 0.01);
  EXPECT_EQ(b.cost.parameter, "lora_r");

  ASSERT_EQ(received.space.dim(), sent.space.dim());
  for (int i = 0; i < sent.space.dim(); ++i) {
    expect_same_parameter(received.space.parameter(i), sent.space.parameter(i));
  }
  EXPECT_EQ(received.seed, sent.seed);
  EXPECT_EQ(received.config_dir, sent.config_dir);
}

TEST(MessagesTest, DecodedSpaceConvertsLikeTheOriginal) {
  const SetupMessage sent = command_setup();
  const auto received = decode<SetupMessage>(encode(sent));
  const std::vector<double> unit = {0.2, 0.7, 0.999, 0.5};
  EXPECT_EQ(received.space.to_user(unit), sent.space.to_user(unit));
}

TEST(MessagesTest, EvaluateRoundTripKeepsVariantKinds) {
  EvaluateMessage sent;
  sent.trial_id = 1'000'000'000'007;
  sent.params = {0.1,
                 3e-4,
                 std::int64_t{-42},
                 std::string("lion"),
                 std::numeric_limits<double>::denorm_min(),
                 std::string("")};
  sent.trial_dir = "/runs/x/trials/000007";
  const auto received = decode<EvaluateMessage>(encode(sent));
  EXPECT_EQ(received.trial_id, sent.trial_id);
  ASSERT_EQ(received.params.size(), sent.params.size());
  for (std::size_t i = 0; i < sent.params.size(); ++i) {
    EXPECT_EQ(received.params[i].index(), sent.params[i].index()) << "param " << i;
    EXPECT_EQ(received.params[i], sent.params[i])
        << "param " << i << ": " << format_value(received.params[i]) << " vs "
        << format_value(sent.params[i]);
  }
  EXPECT_EQ(received.trial_dir, sent.trial_dir);
}

TEST(MessagesTest, ResultRoundTrip) {
  for (TrialStatus status : {TrialStatus::kOk, TrialStatus::kFailed, TrialStatus::kError}) {
    ResultMessage sent;
    sent.trial_id = 17;
    sent.status = status;
    sent.score = -0.123456789012345;
    sent.reason = "exited with code 2: CUDA out of memory, \"really\"\n";
    sent.metrics_json = R"({"noiseless": 1.5, "seconds": 3})";
    sent.host = "gpu-node-07";
    sent.start_unix = 1764188283.123;
    sent.end_unix = 1764188290.5;
    const auto received = decode<ResultMessage>(encode(sent));
    EXPECT_EQ(received.trial_id, 17);
    EXPECT_EQ(received.status, status) << to_string(status);
    EXPECT_EQ(received.score, sent.score);
    EXPECT_EQ(received.reason, sent.reason);
    EXPECT_EQ(received.metrics_json, sent.metrics_json);
    EXPECT_EQ(received.host, sent.host);
    EXPECT_EQ(received.start_unix, sent.start_unix);
    EXPECT_EQ(received.end_unix, sent.end_unix);
  }
}

TEST(MessagesTest, TrialStatusNames) {
  EXPECT_STREQ(to_string(TrialStatus::kOk), "ok");
  EXPECT_STREQ(to_string(TrialStatus::kFailed), "failed");
  EXPECT_STREQ(to_string(TrialStatus::kError), "error");
}

/// Every strict prefix of a message must fail to decode (cereal::Exception is a
/// std::runtime_error), never yield a message silently.
template <class T>
void expect_every_truncation_throws(const std::string& bytes) {
  ASSERT_GT(bytes.size(), 1u);
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_THROW(decode<T>(bytes.substr(0, length)), std::exception)
        << "prefix of " << length << " of " << bytes.size() << " bytes decoded";
  }
}

TEST(MessagesTest, TruncatedBuffersThrow) {
  expect_every_truncation_throws<SetupMessage>(encode(command_setup()));
  EvaluateMessage evaluate;
  evaluate.trial_id = 3;
  evaluate.params = {0.5, std::int64_t{4}, std::string("sgd")};
  evaluate.trial_dir = "/tmp/t";
  expect_every_truncation_throws<EvaluateMessage>(encode(evaluate));
  ResultMessage result;
  result.reason = "why";
  result.host = "h";
  expect_every_truncation_throws<ResultMessage>(encode(result));
}

TEST(MessagesTest, TruncatedBufferThrowsCerealException) {
  const std::string bytes = encode(command_setup());
  EXPECT_THROW(decode<SetupMessage>(bytes.substr(0, bytes.size() / 2)), cereal::Exception);
}

}  // namespace
}  // namespace lorahpo
