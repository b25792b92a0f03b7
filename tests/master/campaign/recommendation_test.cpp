#include "master/campaign/recommendation.h"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/parameters.h"

namespace lorahpo {
namespace {

using testing_support::float_param;

SearchSpace line_space() {
  return SearchSpace({float_param("x")});
}

TrialRecord ok(std::int64_t id, double x, double score, const SearchSpace& space) {
  TrialRecord r;
  r.id = id;
  r.status = TrialStatus::kOk;
  r.score = score;
  r.unit = {x};
  r.params = space.to_user(r.unit);
  return r;
}

/// 1 - 4 (x - 0.3)^2 measured at 31 points of [0, 1] with noise sd 0.03 (fixed seed), plus one
/// lucky measurement at x = 0.45 (true value 0.91): +0.17, the best observed score.
std::vector<TrialRecord> noisy_line(const SearchSpace& space, double sign) {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> noise(0.0, 0.03);
  std::vector<TrialRecord> records;
  for (int i = 0; i <= 30; ++i) {
    const double x = i / 30.0;
    records.push_back(ok(i, x, sign * (1.0 - 4.0 * (x - 0.3) * (x - 0.3) + noise(rng)), space));
  }
  records.push_back(ok(100, 0.45, sign * 1.08, space));
  return records;
}

/// The known measurement noise (lm_eval's standard error) given to the GP: 12 points of a gentle
/// 2-d function measured with noise sd 0.005, the best of them lucky by +0.015. Left to fit its
/// own noise, the GP follows the measurements; told the noise, it shrinks the lucky one towards
/// its neighbours, so its mean there overstates the true value less. An unusable noise is
/// ignored.
TEST(Recommendation, AKnownMeasurementNoiseShrinksTheLuckyMeasurement) {
  const SearchSpace space({float_param("x"), float_param("y")});
  const auto truth = [](double x, double y) {
    return 0.74 - 0.02 * (x - 0.5) * (x - 0.5) - 0.01 * y;
  };
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::normal_distribution<double> noise(0.0, 0.005);
  std::vector<TrialRecord> records;
  for (int i = 0; i < 12; ++i) {
    TrialRecord r;
    r.id = i;
    r.status = TrialStatus::kOk;
    r.unit = {u(rng), u(rng)};
    r.params = space.to_user(r.unit);
    r.score = truth(r.unit[0], r.unit[1]) + (i == 7 ? 0.015 : noise(rng));
    r.metrics = nlohmann::json{{"noiseless", truth(r.unit[0], r.unit[1])}};
    records.push_back(r);
  }
  const auto fitted = recommend(space, records, Direction::kMaximize, 3);
  const auto told = recommend(space, records, Direction::kMaximize, 3, 0.005);
  ASSERT_TRUE(fitted && told);
  ASSERT_TRUE(fitted->from_model && told->from_model);
  const double fitted_bias = fitted->mean - *fitted->noiseless;
  const double told_bias = told->mean - *told->noiseless;
  EXPECT_LT(told_bias, 0.5 * fitted_bias) << "fitted " << fitted_bias << ", told " << told_bias;
  for (const double unusable : {0.0, -1.0, std::nan("")}) {
    const auto same = recommend(space, records, Direction::kMaximize, 3, unusable);
    ASSERT_TRUE(same);
    EXPECT_EQ(same->id, fitted->id);
    EXPECT_DOUBLE_EQ(same->mean, fitted->mean);
  }
}

TEST(Recommendation, NothingWithoutAnOkEvaluation) {
  const SearchSpace space = line_space();
  TrialRecord failed = ok(1, 0.5, 0.0, space);
  failed.status = TrialStatus::kFailed;
  failed.score.reset();
  EXPECT_FALSE(recommend(space, {}, Direction::kMaximize, 1).has_value());
  EXPECT_FALSE(recommend(space, {failed}, Direction::kMaximize, 1).has_value());
}

/// The winner's curse: the best observed score is the lucky measurement at x = 0.45; the GP's
/// posterior mean there is pulled towards its neighbours' values, and the recommendation is a
/// point near the true optimum 0.3, in both directions.
TEST(Recommendation, TheBestPosteriorMeanNotTheLuckiestMeasurement) {
  const SearchSpace space = line_space();
  for (const Direction direction : {Direction::kMaximize, Direction::kMinimize}) {
    SCOPED_TRACE(to_string(direction));
    const double sign = direction == Direction::kMaximize ? 1.0 : -1.0;
    const auto r = recommend(space, noisy_line(space, sign), direction, 3);
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->from_model);
    EXPECT_NE(r->id, 100) << "the lucky measurement";
    EXPECT_NEAR(r->unit[0], 0.3, 0.1);
    EXPECT_NEAR(sign * r->mean, 1.0, 0.05) << "the posterior mean, in the score's units";
    EXPECT_GT(r->sd, 0.0);
    EXPECT_LT(r->sd, 0.05);
    EXPECT_EQ(r->measurements, 1);
    const auto json = to_json(*r, space);
    EXPECT_EQ(json["rule"], "gp_posterior_mean");
    EXPECT_EQ(json["id"], r->id);
    EXPECT_TRUE(json["params"].contains("x"));
  }
}

/// Every measurement of a point counts (tail re-checks): a second measurement of the recommended
/// point gives measurements 2 and their mean; failed and retried records are not measurements; a
/// builtin objective's noiseless value is carried.
TEST(Recommendation, RepeatedMeasurementsOfAPointArePooled) {
  const SearchSpace space = line_space();
  std::vector<TrialRecord> records = noisy_line(space, 1.0);
  for (TrialRecord& r : records) r.metrics["noiseless"] = 1.0 - 4.0 * std::pow(r.unit[0] - 0.3, 2);
  const auto first = recommend(space, records, Direction::kMaximize, 3);
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->measurements, 1);
  TrialRecord again = ok(200, first->unit[0], first->observed_mean - 0.01, space);
  again.metrics["noiseless"] = 1.0 - 4.0 * std::pow(first->unit[0] - 0.3, 2);
  records.push_back(again);
  TrialRecord failed = ok(201, first->unit[0], 0.0, space);
  failed.status = TrialStatus::kFailed;
  failed.score.reset();
  records.push_back(failed);
  TrialRecord retried = ok(202, first->unit[0], 5.0, space);
  retried.retried = true;
  records.push_back(retried);
  const auto r = recommend(space, records, Direction::kMaximize, 3);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->unit, first->unit);
  EXPECT_EQ(r->id, first->id) << "the first evaluation of the point";
  EXPECT_EQ(r->measurements, 2);
  EXPECT_NEAR(r->observed_mean, first->observed_mean - 0.005, 1e-12);
  ASSERT_TRUE(r->noiseless.has_value());
  EXPECT_NEAR(*r->noiseless, 1.0 - 4.0 * std::pow(r->unit[0] - 0.3, 2), 1e-12);
}

/// Below three distinct points no GP is fitted: the best mean observed score, labelled so.
TEST(Recommendation, TooFewPointsGiveTheBestObservedMean) {
  const SearchSpace space = line_space();
  const std::vector<TrialRecord> records = {ok(1, 0.2, 0.60, space), ok(2, 0.2, 0.50, space),
                                            ok(3, 0.7, 0.56, space)};
  const auto r = recommend(space, records, Direction::kMaximize, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->from_model);
  EXPECT_EQ(r->id, 3) << "0.56 beats the mean 0.55 of the point measured twice";
  EXPECT_DOUBLE_EQ(r->mean, 0.56);
  const auto json = to_json(*r, space);
  EXPECT_EQ(json["rule"], "best_observed_mean");
  EXPECT_TRUE(json["posterior_mean"].is_null());
  const auto low = recommend(space, records, Direction::kMinimize, 1);
  ASSERT_TRUE(low.has_value());
  EXPECT_EQ(low->id, 1) << "the point whose mean is lowest, 0.55";
}

TEST(Recommendation, DeterministicGivenTheRecordsAndTheSeed) {
  const SearchSpace space = line_space();
  const auto records = noisy_line(space, 1.0);
  const auto a = recommend(space, records, Direction::kMaximize, 5);
  const auto b = recommend(space, records, Direction::kMaximize, 5);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->id, b->id);
  EXPECT_EQ(a->mean, b->mean);
  EXPECT_EQ(a->sd, b->sd);
}

}  // namespace
}  // namespace lorahpo
