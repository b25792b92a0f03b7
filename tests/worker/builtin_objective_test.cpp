#include "worker/builtin_objective.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

/// Trials of the noise statistics test.
constexpr int kNoiseTrials = 2000;
/// The sample standard deviation of the noise must be within this fraction of noise_sd (with
/// 2000 trials its own relative sd is about 1/sqrt(2 * 2000) = 1.6%).
constexpr double kNoiseSdRelTol = 0.10;
/// The sample mean of the noise must be within this many standard errors of 0.
constexpr double kNoiseMeanSigmas = 5.0;
/// Slack on a cost computed from doubles.
constexpr double kCostTol = 1e-12;

BuiltinObjective objective(std::string function, int dim = 0, double noise_sd = 0.0) {
  BuiltinObjective o;
  o.function = std::move(function);
  o.dim = dim;
  o.noise_sd = noise_sd;
  return o;
}

EvaluateMessage request(std::int64_t trial_id, const std::vector<double>& x) {
  EvaluateMessage m;
  m.trial_id = trial_id;
  for (double v : x) m.params.emplace_back(v);
  m.trial_dir = "/nonexistent/builtin/needs/no/directory";
  return m;
}

TEST(DescribeBuiltinTest, ParametersFollowTheFunctionsDomain) {
  struct Case {
    std::string name;
    int dim;
  };
  for (const Case& c :
       {Case{"branin", 0}, Case{"hartmann6", 0}, Case{"ackley", 5}, Case{"rosenbrock", 3}}) {
    SCOPED_TRACE(c.name);
    const BuiltinDescription description = describe_builtin(objective(c.name, c.dim));
    const auto function = make_test_function(c.name, c.dim);
    const auto domain = function->domain();
    EXPECT_EQ(description.direction, Direction::kMinimize);
    ASSERT_EQ(description.space.dim(), function->dim());
    ASSERT_EQ(domain.size(), static_cast<std::size_t>(function->dim()));
    for (int i = 0; i < description.space.dim(); ++i) {
      const Parameter& p = description.space.parameter(i);
      EXPECT_EQ(p.name, "x" + std::to_string(i + 1));
      EXPECT_EQ(p.type, ParamType::kFloat) << p.name;
      EXPECT_EQ(p.transform, Transform::kNone) << p.name;
      EXPECT_EQ(p.low, domain[static_cast<std::size_t>(i)].low) << p.name;
      EXPECT_EQ(p.high, domain[static_cast<std::size_t>(i)].high) << p.name;
    }
  }
  EXPECT_EQ(describe_builtin(objective("ackley", 5)).space.dim(), 5);
}

TEST(DescribeBuiltinTest, UnknownFunctionThrows) {
  EXPECT_THROW(describe_builtin(objective("no_such_function")), std::invalid_argument);
  EXPECT_THROW(describe_builtin(objective("branin", 3)), std::invalid_argument);
}

SearchSpace rank_space() {
  Parameter r;
  r.name = "lora_r";
  r.type = ParamType::kInt;
  r.low = 2;
  r.high = 512;
  Parameter lr;
  lr.name = "lr";
  lr.low = 0.0;
  lr.high = 1.0;
  return SearchSpace({lr, r});
}

TEST(SimulatedCostTest, ConstantAndLinear) {
  const SearchSpace space = rank_space();
  const std::vector<ParamValue> small = {0.5, std::int64_t{8}};
  const std::vector<ParamValue> large = {0.25, std::int64_t{256}};

  EXPECT_EQ(simulated_cost_seconds(CostModel{}, space, small), 0.0);
  EXPECT_EQ(simulated_cost_seconds(CostModel{2.5, 0.0, ""}, space, small), 2.5);
  EXPECT_EQ(simulated_cost_seconds(CostModel{2.5, 0.0, "lora_r"}, space, large), 2.5)
      << "slope 0: a constant";

  const CostModel by_rank{1.0, 0.01, "lora_r"};
  EXPECT_NEAR(simulated_cost_seconds(by_rank, space, small), 1.0 + 0.01 * 8, kCostTol);
  EXPECT_NEAR(simulated_cost_seconds(by_rank, space, large), 1.0 + 0.01 * 256, kCostTol);
  const CostModel by_float{0.0, 4.0, "lr"};
  EXPECT_NEAR(simulated_cost_seconds(by_float, space, small), 2.0, kCostTol);
  EXPECT_NEAR(simulated_cost_seconds(by_float, space, large), 1.0, kCostTol);
}

TEST(SimulatedCostTest, NeverNegative) {
  const SearchSpace space = rank_space();
  EXPECT_EQ(simulated_cost_seconds(CostModel{1.0, -1.0, "lora_r"}, space, {0.5, std::int64_t{8}}),
            0.0);
}

TEST(SimulatedCostTest, UnknownParameterThrows) {
  EXPECT_THROW(
      simulated_cost_seconds(CostModel{1.0, 1.0, "epochs"}, rank_space(), {0.5, std::int64_t{8}}),
      std::invalid_argument);
}

TEST(BuiltinEvaluatorTest, ScoreIsTheFunctionValueWithoutNoise) {
  const auto o = objective("branin");
  BuiltinEvaluator evaluator(o, describe_builtin(o).space, 1);
  const auto branin = make_test_function("branin");
  const std::vector<std::vector<double>> points = {
      {-5.0, 0.0}, {10.0, 15.0}, {0.0, 7.5}, {-3.14159265358979, 12.275}, {9.42478, 2.475}};
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto outcome = evaluator.evaluate(request(static_cast<std::int64_t>(i), points[i]));
    ASSERT_EQ(outcome.status, TrialStatus::kOk) << outcome.reason;
    const double expected = branin->evaluate(points[i]);
    EXPECT_EQ(outcome.score, expected) << "at (" << points[i][0] << ", " << points[i][1] << ")";
    ASSERT_TRUE(outcome.metrics.contains("noiseless")) << outcome.metrics.dump();
    EXPECT_EQ(outcome.metrics["noiseless"].get<double>(), expected);
    EXPECT_FALSE(outcome.metrics.contains("simulated_seconds")) << "no cost model";
  }
}

TEST(BuiltinEvaluatorTest, NoiseIsDeterministicPerTrial) {
  const auto o = objective("branin", 0, 0.5);
  const SearchSpace space = describe_builtin(o).space;
  BuiltinEvaluator first(o, space, 7);
  BuiltinEvaluator second(o, space, 7);  // another worker of the same campaign
  BuiltinEvaluator other_campaign(o, space, 8);
  const std::vector<double> x = {1.0, 2.0};

  const double a = first.evaluate(request(5, x)).score;
  EXPECT_EQ(first.evaluate(request(5, x)).score, a) << "same trial, same evaluator";
  EXPECT_EQ(second.evaluate(request(5, x)).score, a) << "same trial, other worker";
  EXPECT_NE(first.evaluate(request(6, x)).score, a) << "trial 6 got trial 5's noise";
  EXPECT_NE(other_campaign.evaluate(request(5, x)).score, a) << "seed 8 got seed 7's noise";

  const auto outcome = first.evaluate(request(5, x));
  EXPECT_EQ(outcome.metrics["noiseless"].get<double>(), make_test_function("branin")->evaluate(x));
  EXPECT_NE(outcome.score, outcome.metrics["noiseless"].get<double>());
}

TEST(BuiltinEvaluatorTest, NoiseHasTheConfiguredStandardDeviation) {
  constexpr double kNoiseSd = 0.3;
  const auto o = objective("hartmann6", 0, kNoiseSd);
  BuiltinEvaluator evaluator(o, describe_builtin(o).space, 2024);
  const std::vector<double> x = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
  const double clean = make_test_function("hartmann6")->evaluate(x);

  double sum = 0.0;
  double sum_squares = 0.0;
  std::set<double> distinct;
  for (int i = 0; i < kNoiseTrials; ++i) {
    const auto outcome = evaluator.evaluate(request(i, x));
    ASSERT_EQ(outcome.status, TrialStatus::kOk) << outcome.reason;
    const double noise = outcome.score - clean;
    sum += noise;
    sum_squares += noise * noise;
    distinct.insert(outcome.score);
  }
  const double n = kNoiseTrials;
  const double mean = sum / n;
  const double sd = std::sqrt((sum_squares - n * mean * mean) / (n - 1.0));
  EXPECT_NEAR(sd, kNoiseSd, kNoiseSdRelTol * kNoiseSd) << "sample sd " << sd;
  EXPECT_NEAR(mean, 0.0, kNoiseMeanSigmas * kNoiseSd / std::sqrt(n)) << "sample mean " << mean;
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kNoiseTrials)) << "trials share noise";
}

TEST(BuiltinEvaluatorTest, SimulatedCostDelaysTheResult) {
  constexpr double kCostSeconds = 0.05;
  auto o = objective("branin");
  o.cost.base_seconds = kCostSeconds;
  BuiltinEvaluator evaluator(o, describe_builtin(o).space, 1);
  const auto start = std::chrono::steady_clock::now();
  const auto outcome = evaluator.evaluate(request(0, {0.0, 0.0}));
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(outcome.status, TrialStatus::kOk) << outcome.reason;
  EXPECT_GE(elapsed, kCostSeconds) << "returned after " << elapsed << " s";
  ASSERT_TRUE(outcome.metrics.contains("simulated_seconds")) << outcome.metrics.dump();
  EXPECT_EQ(outcome.metrics["simulated_seconds"].get<double>(), kCostSeconds);
}

TEST(BuiltinEvaluatorTest, SpaceOfTheWrongDimensionThrows) {
  const auto o = objective("branin");
  const SearchSpace three_d = describe_builtin(objective("rosenbrock", 3)).space;
  EXPECT_THROW(BuiltinEvaluator(o, three_d, 1), std::invalid_argument);
  EXPECT_THROW(BuiltinEvaluator(objective("no_such_function"), three_d, 1), std::invalid_argument);
}

/// Issue 16: a mixed function's space has an int per integer coordinate and a categorical with
/// the labels "0" .. "n-1" per categorical one; the evaluator scores a label as its index.
TEST(DescribeBuiltinTest, MixedFunctionsBringIntsAndCategoricals) {
  const SearchSpace ackley = describe_builtin(objective("ackley_mixed", 10)).space;
  ASSERT_EQ(ackley.dim(), 10);
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(ackley.parameter(i).type, ParamType::kCategorical) << i;
    EXPECT_EQ(ackley.parameter(i).choices, (std::vector<std::string>{"0", "1"})) << i;
  }
  for (int i = 7; i < 10; ++i) EXPECT_EQ(ackley.parameter(i).type, ParamType::kFloat) << i;
  const SearchSpace rosenbrock = describe_builtin(objective("rosenbrock_mixed", 20)).space;
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(rosenbrock.parameter(i).type, i < 6 ? ParamType::kInt : ParamType::kFloat) << i;
    EXPECT_EQ(rosenbrock.parameter(i).low, -2.0) << i;
    EXPECT_EQ(rosenbrock.parameter(i).high, 2.0) << i;
  }
}

TEST(BuiltinEvaluatorTest, ScoresACategoryAsItsIndex) {
  const auto o = objective("ackley_mixed", 10);
  const SearchSpace space = describe_builtin(o).space;
  BuiltinEvaluator evaluator(o, space, 1);
  EvaluateMessage m = request(0, {});
  std::vector<double> x;
  for (int i = 0; i < 7; ++i) {
    m.params.emplace_back(std::string(i % 2 == 0 ? "1" : "0"));
    x.push_back(i % 2 == 0 ? 1.0 : 0.0);
  }
  for (const double v : {0.3, -0.7, 0.1}) {
    m.params.emplace_back(v);
    x.push_back(v);
  }
  const auto outcome = evaluator.evaluate(m);
  ASSERT_EQ(outcome.status, TrialStatus::kOk) << outcome.reason;
  EXPECT_EQ(outcome.score, make_test_function("ackley_mixed", 10)->evaluate(x));
  EXPECT_EQ(test_function_coordinates(*make_test_function("ackley_mixed", 10), space, m.params), x);
}

/// A user's own space must give each coordinate a parameter of its kind: the reason names the
/// parameter and the coordinate.
TEST(BuiltinEvaluatorTest, AParameterOfTheWrongKindForItsCoordinateIsRefused) {
  const auto ackley = make_test_function("ackley_mixed", 10);
  std::vector<Parameter> parameters =
      describe_builtin(objective("ackley_mixed", 10)).space.parameters();
  EXPECT_EQ(test_function_space_mismatch(*ackley, SearchSpace(parameters)), "");
  std::vector<Parameter> numeric = parameters;
  numeric[2] = Parameter{"x3", ParamType::kFloat, 0.0, 1.0, Transform::kNone, {}};
  EXPECT_EQ(test_function_space_mismatch(*ackley, SearchSpace(numeric)),
            "x3 must be a categorical of 2 choices: coordinate 3 of ackley_mixed is a category");
  std::vector<Parameter> three = parameters;
  three[0].choices.push_back("2");
  EXPECT_NE(test_function_space_mismatch(*ackley, SearchSpace(three)).find("2 choices"),
            std::string::npos);
  std::vector<Parameter> label = parameters;
  label[8] = Parameter{"x9", ParamType::kCategorical, 0.0, 1.0, Transform::kNone, {"a", "b"}};
  EXPECT_EQ(test_function_space_mismatch(*ackley, SearchSpace(label)),
            "x9 must be numeric: coordinate 9 of ackley_mixed is continuous");
  EXPECT_THROW(BuiltinEvaluator(objective("ackley_mixed", 10), SearchSpace(label), 1),
               std::invalid_argument);
  const auto rosenbrock = make_test_function("rosenbrock_mixed", 10);
  std::vector<Parameter> floats =
      describe_builtin(objective("rosenbrock_mixed", 10)).space.parameters();
  floats[1].type = ParamType::kFloat;
  EXPECT_EQ(test_function_space_mismatch(*rosenbrock, SearchSpace(floats)),
            "x2 must be an int: coordinate 2 of rosenbrock_mixed takes integers");
}

TEST(BuiltinEvaluatorTest, MadeFromASetupMessage) {
  SetupMessage setup;
  setup.objective.kind = ObjectiveKind::kBuiltin;
  setup.objective.builtin = objective("branin");
  setup.space = describe_builtin(setup.objective.builtin).space;
  setup.seed = 3;
  const auto evaluator = make_evaluator(setup);
  ASSERT_NE(evaluator, nullptr);
  const auto outcome = evaluator->evaluate(request(0, {2.0, 3.0}));
  EXPECT_EQ(outcome.status, TrialStatus::kOk) << outcome.reason;
  EXPECT_EQ(outcome.score, make_test_function("branin")->evaluate({2.0, 3.0}));
}

}  // namespace
}  // namespace lorahpo
