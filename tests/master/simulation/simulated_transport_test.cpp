// The simulator's virtual clock: known costs and a scripted master clock give known times.

#include "master/simulation/simulated_transport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "worker/builtin_objective.h"

namespace lorahpo {
namespace {

constexpr double kEpoch = 1.7e9;
constexpr double kTolerance = 1e-6;  // seconds; the clock is exact arithmetic on doubles

/// branin, every evaluation lasting 10 + 5 x1 seconds (cost model), on `workers` workers whose
/// master clock is `*master` (seconds the test moves by hand).
SimulatedTransport make_transport(int workers, double* master, double master_time_scale = 1.0) {
  SimulatedTransportOptions options;
  options.workers = workers;
  options.epoch_unix = kEpoch;
  options.master_time_scale = master_time_scale;
  options.master_clock = [master] { return *master; };
  return SimulatedTransport(options);
}

SetupMessage branin_setup() {
  SetupMessage setup;
  setup.objective.builtin.function = "branin";
  setup.objective.builtin.cost = CostModel{10.0, 5.0, "x1"};
  setup.space = describe_builtin(setup.objective.builtin).space;
  setup.seed = 1;
  setup.heartbeat_seconds = 1000.0;  // no heartbeat within these evaluations: results only
  return setup;
}

std::string evaluate_x1(std::int64_t id, double x1) {
  EvaluateMessage request;
  request.trial_id = id;
  request.params = {ParamValue{x1}, ParamValue{5.0}};
  return encode(request);
}

ResultMessage next_result(SimulatedTransport& transport, int expected_worker) {
  const auto envelope = transport.receive(std::chrono::milliseconds(1000));
  EXPECT_TRUE(envelope.has_value());
  if (!envelope) return {};
  EXPECT_EQ(envelope->source, expected_worker);
  EXPECT_EQ(envelope->tag, MessageTag::kResult);
  return decode<ResultMessage>(envelope->payload);
}

TEST(SimulatedTransport, ResultsArriveInVirtualTimeOrderWithMasterTimeAdded) {
  double master = 100.0;
  SimulatedTransport transport = make_transport(2, &master);
  EXPECT_EQ(transport.size(), 3);
  const std::string setup = encode(branin_setup());
  transport.send(1, MessageTag::kSetup, setup);
  transport.send(2, MessageTag::kSetup, setup);
  transport.send(1, MessageTag::kEvaluate, evaluate_x1(0, 2.0));  // 20 s, from t = 0
  transport.send(2, MessageTag::kEvaluate, evaluate_x1(1, 0.0));  // 10 s, from t = 0

  master += 3.0;  // the master computes 3 s before it waits: charged, then t jumps to 10
  EXPECT_NEAR(transport.virtual_seconds(), 3.0, kTolerance);
  ResultMessage r = next_result(transport, 2);
  EXPECT_EQ(r.trial_id, 1);
  EXPECT_EQ(r.status, TrialStatus::kOk);
  EXPECT_NEAR(r.start_unix, kEpoch + 0.0, kTolerance);
  EXPECT_NEAR(r.end_unix, kEpoch + 10.0, kTolerance);
  EXPECT_NEAR(transport.unix_seconds(), kEpoch + 10.0, kTolerance);
  EXPECT_NEAR(nlohmann::json::parse(r.metrics_json).at("simulated_seconds").get<double>(), 10.0,
              kTolerance);

  master += 4.0;  // 4 s of decision (ask, journal) before worker 2 gets its next point
  transport.send(2, MessageTag::kEvaluate, evaluate_x1(2, 0.0));  // 10 s, from t = 14
  r = next_result(transport, 1);
  EXPECT_EQ(r.trial_id, 0);
  EXPECT_NEAR(r.end_unix, kEpoch + 20.0, kTolerance);
  r = next_result(transport, 2);
  EXPECT_EQ(r.trial_id, 2);
  EXPECT_NEAR(r.start_unix, kEpoch + 14.0, kTolerance);
  EXPECT_NEAR(r.end_unix, kEpoch + 24.0, kTolerance);

  EXPECT_NEAR(transport.stats().master_seconds, 7.0, kTolerance);
  EXPECT_NEAR(transport.stats().max_decision_seconds, 4.0, kTolerance);
  EXPECT_EQ(transport.stats().decisions, 3);
  EXPECT_EQ(transport.stats().evaluations, 3);
  EXPECT_EQ(transport.stats().results, 3);
  EXPECT_NEAR(transport.stats().busy_seconds, 40.0, kTolerance);
}

TEST(SimulatedTransport, MasterTimeScaleMultipliesTheChargeAndZeroIgnoresIt) {
  for (const double scale : {0.0, 2.5}) {
    double master = 0.0;
    SimulatedTransport transport = make_transport(1, &master, scale);
    transport.send(1, MessageTag::kSetup, encode(branin_setup()));
    master += 2.0;
    transport.send(1, MessageTag::kEvaluate, evaluate_x1(0, 0.0));  // starts at 2 * scale
    const ResultMessage r = next_result(transport, 1);
    EXPECT_NEAR(r.start_unix - kEpoch, 2.0 * scale, kTolerance) << "scale " << scale;
    EXPECT_NEAR(r.end_unix - kEpoch, 2.0 * scale + 10.0, kTolerance) << "scale " << scale;
  }
}

TEST(SimulatedTransport, LoraSurrogateLastsItsRealTrainingTime) {
  double master = 0.0;
  SimulatedTransportOptions options;
  options.workers = 1;
  options.master_clock = [&master] { return master; };
  SimulatedTransport transport(options);  // training_time_scale 3600: real time
  SetupMessage setup;
  setup.objective.builtin.function = kLoraSurrogate;
  setup.objective.builtin.time_scale = 1.0;  // the config's sleep: replaced by the virtual clock
  setup.space = describe_builtin(setup.objective.builtin).space;
  setup.heartbeat_seconds = 7200.0;  // longer than an evaluation: results only
  transport.send(1, MessageTag::kSetup, encode(setup));
  for (const double unit : {0.0, 0.5, 1.0}) {
    EvaluateMessage request;
    request.params = setup.space.to_user(std::vector<double>(5, unit));
    transport.send(1, MessageTag::kEvaluate, encode(request));
    const ResultMessage r = next_result(transport, 1);
    ASSERT_EQ(r.status, TrialStatus::kOk);
    const double minutes = nlohmann::json::parse(r.metrics_json).at("train_minutes").get<double>();
    EXPECT_NEAR(r.end_unix - r.start_unix, minutes * 60.0, kTolerance);
    EXPECT_GE(minutes, 52.0);
    EXPECT_LE(minutes, 69.0);
  }
}

TEST(SimulatedTransport, FixedEvalSecondsOverrideTheCostModel) {
  double master = 0.0;
  SimulatedTransportOptions options;
  options.workers = 1;
  options.eval_seconds = 7.5;
  options.master_clock = [&master] { return master; };
  SimulatedTransport transport(options);
  transport.send(1, MessageTag::kSetup, encode(branin_setup()));
  transport.send(1, MessageTag::kEvaluate, evaluate_x1(0, 9.0));
  const ResultMessage r = next_result(transport, 1);
  EXPECT_NEAR(r.end_unix - r.start_unix, 7.5, kTolerance);
}

TEST(SimulatedTransport, AWorkerStartsEvaluatingOnlyAfterItsSetupTime) {
  double master = 0.0;
  SimulatedTransportOptions options;
  options.workers = 1;
  options.epoch_unix = kEpoch;
  options.setup_seconds = 5.0;
  options.master_clock = [&master] { return master; };
  SimulatedTransport transport(options);
  transport.send(1, MessageTag::kSetup, encode(branin_setup()));
  transport.send(1, MessageTag::kEvaluate, evaluate_x1(0, 0.0));  // 10 s, once ready at t = 5
  ResultMessage r = next_result(transport, 1);
  EXPECT_NEAR(r.start_unix, kEpoch + 5.0, kTolerance);
  EXPECT_NEAR(r.end_unix, kEpoch + 15.0, kTolerance);
  transport.send(1, MessageTag::kEvaluate, evaluate_x1(1, 0.0));  // ready: starts at once
  r = next_result(transport, 1);
  EXPECT_NEAR(r.start_unix, kEpoch + 15.0, kTolerance);
  EXPECT_NEAR(transport.stats().busy_seconds, 20.0, kTolerance);
}

TEST(SimulatedTransport, CancelAnswersAtOnceWithAnError) {
  double master = 0.0;
  SimulatedTransport transport = make_transport(1, &master);
  transport.send(1, MessageTag::kSetup, encode(branin_setup()));
  transport.send(1, MessageTag::kEvaluate, evaluate_x1(0, 2.0));
  transport.send(1, MessageTag::kCancel, "");
  const ResultMessage r = next_result(transport, 1);
  EXPECT_EQ(r.status, TrialStatus::kError);
  EXPECT_EQ(r.reason, "cancelled by rank 0");
  EXPECT_NEAR(r.end_unix, kEpoch, kTolerance);
  EXPECT_FALSE(transport.receive(std::chrono::milliseconds(0)).has_value());  // nothing stale
}

TEST(SimulatedTransport, WithoutSetupOrWithABadOneEveryJobIsAnError) {
  double master = 0.0;
  SimulatedTransport transport = make_transport(2, &master);
  SetupMessage bad = branin_setup();
  bad.objective.builtin.function = "no_such_function";
  transport.send(2, MessageTag::kSetup, encode(bad));
  transport.send(1, MessageTag::kEvaluate, evaluate_x1(0, 0.0));
  transport.send(2, MessageTag::kEvaluate, evaluate_x1(1, 0.0));
  EXPECT_EQ(next_result(transport, 1).status, TrialStatus::kError);
  EXPECT_EQ(next_result(transport, 2).status, TrialStatus::kError);
}

/// The next message, which must be worker `expected_worker`'s heartbeat at virtual second `at`.
void expect_heartbeat(SimulatedTransport& transport, int expected_worker, const std::string& trial,
                      double at) {
  const auto envelope = transport.receive(std::chrono::milliseconds(1000));
  ASSERT_TRUE(envelope.has_value());
  EXPECT_EQ(envelope->source, expected_worker);
  EXPECT_EQ(envelope->tag, MessageTag::kHeartbeat);
  EXPECT_EQ(envelope->payload, trial);
  EXPECT_NEAR(transport.virtual_seconds(), at, kTolerance);
}

TEST(SimulatedTransport, ABusyWorkerSendsAHeartbeatEveryHeartbeatSeconds) {
  double master = 0.0;
  SimulatedTransport transport = make_transport(1, &master);
  SetupMessage setup = branin_setup();
  setup.heartbeat_seconds = 3.0;
  transport.send(1, MessageTag::kSetup, encode(setup));
  transport.send(1, MessageTag::kEvaluate, evaluate_x1(7, 0.0));  // 10 s: beats at 3, 6, 9
  for (const double at : {3.0, 6.0, 9.0}) expect_heartbeat(transport, 1, "7", at);
  EXPECT_EQ(next_result(transport, 1).trial_id, 7);
  EXPECT_NEAR(transport.virtual_seconds(), 10.0, kTolerance);
  EXPECT_EQ(transport.stats().heartbeats, 3);
  EXPECT_EQ(transport.stats().decisions, 1) << "a heartbeat asks for no decision";

  transport.send(1, MessageTag::kEvaluate, evaluate_x1(8, 2.0));  // 20 s from t = 10
  expect_heartbeat(transport, 1, "8", 13.0);
  transport.send(1, MessageTag::kCancel, "");  // its heartbeats stop with it
  EXPECT_EQ(next_result(transport, 1).status, TrialStatus::kError);
  EXPECT_FALSE(transport.receive(std::chrono::milliseconds(0)).has_value());
  EXPECT_EQ(transport.stats().heartbeats, 4);
}

TEST(SimulatedTransport, ASilentRankSendsNothingAfterItsTime) {
  double master = 0.0;
  SimulatedTransportOptions options;
  options.workers = 2;
  options.epoch_unix = kEpoch;
  options.master_clock = [&master] { return master; };
  options.silent_from = {{2, 4.0}};
  SimulatedTransport transport(options);
  SetupMessage setup = branin_setup();
  setup.heartbeat_seconds = 3.0;
  transport.send(2, MessageTag::kSetup, encode(setup));
  transport.send(2, MessageTag::kEvaluate, evaluate_x1(0, 0.0));  // would end at t = 10
  expect_heartbeat(transport, 2, "0", 3.0);                       // before its silence
  EXPECT_FALSE(transport.receive(std::chrono::milliseconds(2000)).has_value());
  EXPECT_NEAR(transport.virtual_seconds(), 5.0, kTolerance) << "it waited, nothing came";
  EXPECT_EQ(transport.stats().results, 0);

  options.silent_from = {{3, 1.0}};
  EXPECT_THROW(SimulatedTransport{options}, std::out_of_range);
}

TEST(SimulatedTransport, NothingPendingAdvancesTheClockByTheTimeout) {
  double master = 0.0;
  SimulatedTransport transport = make_transport(1, &master);
  EXPECT_FALSE(transport.receive(std::chrono::milliseconds(1500)).has_value());
  EXPECT_NEAR(transport.virtual_seconds(), 1.5, kTolerance);
  EXPECT_THROW(transport.send(2, MessageTag::kShutdown, ""), std::out_of_range);
}

}  // namespace
}  // namespace lorahpo
