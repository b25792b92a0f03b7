#include "worker/lora_surrogate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/lora_run_data.h"
#include "worker/builtin_objective.h"
#include "worker/lora_runs.h"

namespace lorahpo {
namespace {

/// Random points of the boundedness test.
constexpr int kBoundPoints = 20000;
/// Guessing among HellaSwag's four endings.
constexpr double kChance = 0.25;

const LoraSurrogate& surrogate() {
  return LoraSurrogate::instance();
}

/// Values of the seed space at a unit-cube point.
std::vector<ParamValue> at_unit(const std::vector<double>& unit) {
  return seed_lora_search_space().to_user(unit);
}

std::vector<double> random_unit(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<double> unit(5);
  for (double& u : unit) u = uniform(rng);
  return unit;
}

/// The configuration of the best real run on HellaSwag acc_norm (on the plateau, 0.7385).
std::vector<ParamValue> good_values() {
  const auto& runs = lora_runs();
  const auto best =
      std::max_element(runs.begin(), runs.end(), [](const LoraRun& a, const LoraRun& b) {
        return a.hellaswag_acc_norm < b.hellaswag_acc_norm;
      });
  return lora_run_values(*best);
}

using testing_support::Measured;
using testing_support::run_data;
using testing_support::RunData;

const AccuracyModel& model_of(Measured metric) {
  switch (metric) {
    case Measured::kAcc:
      return surrogate().model(LoraMetric::kAcc);
    case Measured::kMmlu:
      return surrogate().mmlu_model();
    case Measured::kAccNorm:
      break;
  }
  return surrogate().model(LoraMetric::kAccNorm);
}

/// Shares of residuals |y_i - mean_i| within one and two of the runs' own standard errors.
struct Coverage {
  double within_one = 0.0;
  double within_two = 0.0;
};

Coverage coverage(const Eigen::VectorXd& y, const Eigen::VectorXd& mean,
                  const Eigen::VectorXd& se) {
  int one = 0, two = 0;
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    const double r = std::fabs(y(i) - mean(i));
    if (r <= se(i)) ++one;
    if (r <= 2.0 * se(i)) ++two;
  }
  const double n = static_cast<double>(y.size());
  return Coverage{one / n, two / n};
}

Eigen::VectorXd means_at(const AccuracyModel& model, const Eigen::MatrixXd& x) {
  Eigen::VectorXd mean(x.rows());
  for (Eigen::Index i = 0; i < x.rows(); ++i) mean(i) = model.predict(x.row(i).transpose()).mean;
  return mean;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

TEST(LoraRunsTest, HundredFiftyRunsInThreeCampaignsOfFifty) {
  const auto& runs = lora_runs();
  ASSERT_EQ(runs.size(), 150u);
  std::map<std::string, int> per_campaign;
  for (const LoraRun& run : runs) {
    ++per_campaign[run.campaign];
    EXPECT_GT(run.learning_rate, 0.0);
    EXPECT_GT(run.minutes, 0.0);
    EXPECT_GE(run.hellaswag_acc, 0.2);
    EXPECT_LE(run.hellaswag_acc, 0.6);
    EXPECT_GE(run.hellaswag_acc_norm, 0.2);
    EXPECT_LE(run.hellaswag_acc_norm, 0.8);
    // lm_eval's standard errors, sqrt(p (1 - p) / (n - 1)) over HellaSwag's 10042 items.
    for (double se :
         {run.hellaswag_acc_stderr, run.hellaswag_acc_norm_stderr, run.mmlu_acc_stderr}) {
      EXPECT_GE(se, 0.003);
      EXPECT_LE(se, 0.0051);
    }
  }
  EXPECT_EQ(per_campaign, (std::map<std::string, int>{{"bo_gp", 50}, {"lhs", 50}, {"soo", 50}}));
}

TEST(LoraRunsTest, SeedSearchSpaceHasTheLitGptNamesAndTheSeedsBounds) {
  const SearchSpace space = seed_lora_search_space();
  ASSERT_EQ(space.dim(), 5);
  struct Expected {
    const char* name;
    ParamType type;
    double low;
    double high;
    Transform transform;
  };
  const Expected expected[] = {
      {"learning_rate", ParamType::kFloat, -10.0, -1.0, Transform::kPow10},
      {"lora_r", ParamType::kInt, 2.0, 512.0, Transform::kNone},
      {"lora_alpha", ParamType::kInt, 1.0, 64.0, Transform::kNone},
      {"lora_dropout", ParamType::kFloat, 0.0, 0.5, Transform::kNone},
      {"weight_decay", ParamType::kFloat, -5.0, -1.0, Transform::kPow10},
  };
  for (int i = 0; i < 5; ++i) {
    const Parameter& p = space.parameter(i);
    const Expected& e = expected[i];
    EXPECT_EQ(p.name, e.name) << i;
    EXPECT_EQ(p.type, e.type) << e.name;
    EXPECT_EQ(p.low, e.low) << e.name;
    EXPECT_EQ(p.high, e.high) << e.name;
    EXPECT_EQ(p.transform, e.transform) << e.name;
  }
  // Every real run lies in the space.
  for (const LoraRun& run : lora_runs()) EXPECT_NO_THROW(space.to_unit(lora_run_values(run)));
}

/// Why the surrogate's standardized residuals cannot be Gaussian with lm_eval's standard error as
/// the noise (issue 15; bench/results/surrogate_calibration.md). SOO's grid trained pairs of
/// points that differ only in LoRA dropout or weight decay. Were each score its run's accuracy
/// plus independent noise of its standard error, such a pair would differ by about 0.67 of
/// (se_i^2 + se_j^2)^(1/2) at the median whatever dropout and weight decay do. Measured: below a
/// learning rate of 1e-3 (89 pairs) the median is 0.016 and the largest 0.05, differences of
/// about one HellaSwag item in 10042 (every run answers the same items, so lm_eval's standard
/// error, the test set's sampling error, is shared by all the runs and cancels between them);
/// above it (5 pairs, on the divergence cliff) the median is 26 standard errors.
TEST(LoraRunsTest, NearReplicatesScatterFarLessThanTheStandardErrorBelowTheCliff) {
  constexpr double kCliffLearningRate = 1e-3;
  const auto& runs = lora_runs();
  std::vector<double> plateau, cliff;
  for (const auto& [i, j] : lora_run_near_replicates()) {
    const LoraRun &a = runs[i], &b = runs[j];
    const double in_se = std::fabs(a.hellaswag_acc_norm - b.hellaswag_acc_norm) /
                         std::hypot(a.hellaswag_acc_norm_stderr, b.hellaswag_acc_norm_stderr);
    (a.learning_rate > kCliffLearningRate ? cliff : plateau).push_back(in_se);
  }
  ASSERT_GE(plateau.size(), 80u);
  ASSERT_GE(cliff.size(), 4u);
  EXPECT_LT(median_of(plateau), 0.05);
  EXPECT_LT(*std::max_element(plateau.begin(), plateau.end()), 0.1);
  EXPECT_GT(median_of(cliff), 10.0);
}

TEST(LoraMetricTest, ParsesAccNormAndAccWithAccNormTheDefault) {
  EXPECT_EQ(parse_lora_metric(""), LoraMetric::kAccNorm);
  EXPECT_EQ(parse_lora_metric("acc_norm"), LoraMetric::kAccNorm);
  EXPECT_EQ(parse_lora_metric("acc"), LoraMetric::kAcc);
  EXPECT_FALSE(parse_lora_metric("acc,none").has_value());
  EXPECT_FALSE(parse_lora_metric("ACC").has_value());
  EXPECT_STREQ(to_string(LoraMetric::kAccNorm), "acc_norm");
  EXPECT_STREQ(to_string(LoraMetric::kAcc), "acc");
}

/// Calibration bands of the standardized residuals (GaussianProcess::standardized_residuals: each
/// run's in-sample residual over its own sd under the model, in the warped space), set from the
/// surrogate's own draws below. A Gaussian would put 68% within one and 95% within two; this
/// model, fitted to draws it should describe, puts 75-83% within one and 93-97% within two (without
/// the learning-rate warp, LoraSurrogate: 75-85% and 93-95%).
constexpr double kCalibratedMinWithinOne = 0.72;
constexpr double kCalibratedMaxWithinOne = 0.9;
constexpr double kCalibratedMinWithinTwo = 0.9;

/// Shares of standardized residuals within one and two.
Coverage standardized_coverage(const Eigen::VectorXd& z) {
  int one = 0, two = 0;
  for (Eigen::Index i = 0; i < z.size(); ++i) {
    if (std::fabs(z(i)) <= 1.0) ++one;
    if (std::fabs(z(i)) <= 2.0) ++two;
  }
  const double n = static_cast<double>(z.size());
  return Coverage{one / n, two / n};
}

/// The standardized residuals of a GP conditioned on the model's warped data d with other
/// hyperparameters h and each run's noise variance times noise_factor: a deliberately wrong fit.
Eigen::VectorXd standardized_residuals_with(const AccuracyModel& model, const RunData& d,
                                            const GpHyperparameters& h, double noise_factor) {
  const AccuracyModel::WarpedOutputs warped = model.warp_outputs(d.y, d.se);
  GaussianProcess gp(5);
  gp.set_hyperparameters(h);
  EXPECT_EQ(gp.set_data(model.warp_inputs(d.x), warped.z, noise_factor * warped.noise_variances),
            FitStatus::kOk);
  return gp.standardized_residuals();
}

/// The model's hyperparameters with no noise beyond the given one (the GP's floor, 1e-9 of the
/// output variance).
GpHyperparameters without_extra_noise(const AccuracyModel& model) {
  GpHyperparameters h = model.gp().hyperparameters();
  h.log_noise_variance = std::log(1e-9);
  return h;
}

/// Data the model should describe: the surrogate's own acc_norm at the 150 real runs' points plus
/// Gaussian noise of each run's standard error; truth: that acc_norm.
RunData drawn_from_the_surrogate(std::mt19937_64& rng, Eigen::VectorXd* truth) {
  const RunData real = run_data(Measured::kAccNorm);
  *truth = means_at(surrogate().model(LoraMetric::kAccNorm), real.x);
  std::normal_distribution<double> normal(0.0, 1.0);
  RunData drawn = real;
  for (Eigen::Index i = 0; i < truth->size(); ++i) {
    drawn.y(i) = (*truth)(i) + real.se(i) * normal(rng);
  }
  return drawn;
}

/// What an unbiased smoother gives (issue 15), on data drawn as the model assumes and refitted as
/// the surrogate is fitted. The raw in-sample residual over the run's standard error is not the
/// statistic: a linear smoother's residual has variance se^2 (1 - h_ii), h the hat matrix
/// (Hastie & Tibshirani 1990, sec. 3.4-3.5), and here the median leverage h_ii is 0.74-0.83
/// (0.92-0.94 without the learning-rate warp, whose cliff set a learning-rate lengthscale of 0.2 of
/// the unit cube: each run was nearly its own neighbourhood): 83-97% of the draws lie within one
/// standard error of the fit. The residual over its own sd under the model is standard normal when
/// the model is right, and it is exactly the standardized leave-one-out residual (R&W 2006 eqs.
/// 5.10-5.12; GaussianProcess::standardized_residuals).
///
/// Measured over seeds 515 and 1-19: 75-83% within one (mean 79%), 93-97% within two (mean 95.4%).
/// Without the learning-rate warp (Kumaraswamy, Snoek et al. 2014; LoraSurrogate) they were 75-85%
/// (mean 80%) and 93-95% (mean 93.5%): one stationary lengthscale, set by the cliff, overstated the
/// variance on the flat plateau and understated it on the cliff. The warp brings the share within
/// two to 95% and the log marginal likelihood up by about 50 nats, but the share within one stays
/// near 80%, not 68%: the fit is still less sure of itself than it need be. Since the leverage is
/// high, a residual's variance is mostly the GP's uncertainty between runs, not the noise, so the
/// upper band does not catch an overstated noise. The bands fail (all 20 seeds):
/// - a fit that follows the noise (its noise forced to 1e-4 of the standard error's variance):
///   31-57% within one, 56-78% within two;
/// - an oversmoothed fit (lengthscales times 5): 32-51% within one, 61-79% within two;
/// and the raw residual over the standard error overstates the share within one by 7-17 points.
/// Why no better: bench/results/surrogate_calibration.md (leave-one-out hyperparameters, a warp of
/// lora_alpha, or dropping the 5 worst runs bring the draws to 73-77% within one, no nearer), and
/// NearReplicatesScatterFarLessThanTheStandardErrorBelowTheCliff above.
/// The fit is closer to the truth than the draws (rms 0.0034 against 0.0041 at seed 515). The refit
/// keeps the surrogate's learning-rate warp: it is part of the model, chosen offline, not refitted.
TEST(LoraSurrogateTest, StandardizedResidualsAreCalibratedWhenTheNoiseIsTheStandardError) {
  constexpr double kNoiseFollowingShare = 1e-4;
  constexpr double kOversmoothing = 5.0;
  constexpr double kRawOverstatesBy = 0.05;
  for (std::uint64_t seed : {515, 1, 2, 3, 4}) {
    std::mt19937_64 rng(seed);
    Eigen::VectorXd truth;
    const RunData drawn = drawn_from_the_surrogate(rng, &truth);
    AccuracyModel refit(5, surrogate().model(LoraMetric::kAccNorm).input_warp());
    refit.fit(drawn.x, drawn.y, drawn.se, kChance, rng);
    const Coverage c = standardized_coverage(refit.gp().standardized_residuals());
    EXPECT_GE(c.within_one, kCalibratedMinWithinOne) << "seed " << seed;
    EXPECT_LE(c.within_one, kCalibratedMaxWithinOne) << "seed " << seed;
    EXPECT_GE(c.within_two, kCalibratedMinWithinTwo) << "seed " << seed;

    const Eigen::VectorXd mean = means_at(refit, drawn.x);
    const Coverage raw = coverage(drawn.y, mean, drawn.se);
    EXPECT_GT(raw.within_one, c.within_one + kRawOverstatesBy) << "seed " << seed;
    const Coverage follows = standardized_coverage(standardized_residuals_with(
        refit, drawn, without_extra_noise(refit), kNoiseFollowingShare));
    EXPECT_LT(follows.within_one, kCalibratedMinWithinOne) << "seed " << seed;
    EXPECT_LT(follows.within_two, kCalibratedMinWithinTwo) << "seed " << seed;
    GpHyperparameters smooth = refit.gp().hyperparameters();
    smooth.log_lengthscales.array() += std::log(kOversmoothing);
    const Coverage oversmoothed =
        standardized_coverage(standardized_residuals_with(refit, drawn, smooth, 1.0));
    EXPECT_LT(oversmoothed.within_one, kCalibratedMinWithinOne) << "seed " << seed;
    EXPECT_LT(oversmoothed.within_two, kCalibratedMinWithinTwo) << "seed " << seed;

    const auto n = static_cast<double>(truth.size());
    EXPECT_LT(std::sqrt((mean - truth).squaredNorm() / n),
              std::sqrt((drawn.y - truth).squaredNorm() / n))
        << "seed " << seed;
  }
}

/// The real runs pass the same bands (measured: acc_norm 88.7% within one, 95.3% within two; acc
/// 88.7% and 94.7%; without the learning-rate warp 86.7% and 92.7% for both), and they still pass
/// them with the noise taken out of the model (the fit that follows the noise above: acc_norm
/// 84.0% and 92.0%, acc 81.3% and 90.7%), which the draws with noise of one standard error fail
/// at every seed (at most 57% and 78%). So the real runs do not
/// scatter by lm_eval's standard error around a function this GP can describe: their run-to-run
/// noise is far smaller, as the plateau test below bounds it (at most half the standard error).
/// Within one the real runs are above the draws' 75-83%, so the surrogate is, if anything, less
/// sure of itself than the data warrant; the residuals cannot say by how much (the noise is a
/// small part of their variance, see above), so no bound is put on the real noise here.
TEST(LoraSurrogateTest, TheRealRunsAreCalibratedWithOrWithoutTheirStandardErrorAsNoise) {
  constexpr double kNoNoiseShare = 1e-4;
  for (Measured metric : {Measured::kAccNorm, Measured::kAcc}) {
    const AccuracyModel& model = model_of(metric);
    const Coverage c = standardized_coverage(model.gp().standardized_residuals());
    EXPECT_GE(c.within_one, kCalibratedMinWithinOne) << "metric " << static_cast<int>(metric);
    EXPECT_LE(c.within_one, kCalibratedMaxWithinOne) << "metric " << static_cast<int>(metric);
    EXPECT_GE(c.within_two, kCalibratedMinWithinTwo) << "metric " << static_cast<int>(metric);
    const Coverage noiseless = standardized_coverage(standardized_residuals_with(
        model, run_data(metric), without_extra_noise(model), kNoNoiseShare));
    EXPECT_GE(noiseless.within_one, kCalibratedMinWithinOne)
        << "metric " << static_cast<int>(metric);
    EXPECT_GE(noiseless.within_two, kCalibratedMinWithinTwo)
        << "metric " << static_cast<int>(metric);
  }
}

/// On the real runs, >= 95% lie within two of their standard errors for each metric (measured:
/// 149 of 150 for acc_norm, 148 for acc and MMLU). Within one standard error lie 96.7% (acc_norm),
/// 96.0% (acc), 95.3% (MMLU), which says little of calibration: the fit is close to interpolating
/// (median leverage 0.74-0.83 on the draws above), and the standardized residuals (the two tests
/// above) are the calibration check.
TEST(LoraSurrogateTest, ReproducesTheRealRunsWithinTwoStandardErrors) {
  constexpr double kMinWithinTwo = 0.95;
  for (Measured metric : {Measured::kAccNorm, Measured::kAcc, Measured::kMmlu}) {
    const RunData real = run_data(metric);
    const Coverage c = coverage(real.y, means_at(model_of(metric), real.x), real.se);
    EXPECT_GE(c.within_two, kMinWithinTwo) << "metric " << static_cast<int>(metric);
  }
}

/// Leave-one-out on the plateau (runs above the midpoint between chance and the best run): the
/// median miss is under half the median standard error (measured 0.0014 for acc_norm, 0.0010 for
/// acc; the median standard errors are 0.0044 and 0.0050). A miss's variance is the run's noise
/// plus the prediction's, so the runs' noise is at most 0.0014 / 0.674 = 0.0021, half of lm_eval's
/// standard error: that error is the sampling error of HellaSwag's 10042 items, and every run is
/// scored on the same items, so most of it is shared by all runs and cancels between them.
TEST(LoraSurrogateTest, LeaveOneOutMissesThePlateauRunsByLessThanHalfAStandardError) {
  for (Measured metric : {Measured::kAccNorm, Measured::kAcc}) {
    const RunData real = run_data(metric);
    const AccuracyModel& model = model_of(metric);
    const Eigen::MatrixXd warped = model.warp_inputs(real.x);
    const double midpoint = 0.5 * (kChance + real.y.maxCoeff());
    const auto n = real.y.size();
    std::vector<double> misses;
    const AccuracyModel::WarpedOutputs all = model.warp_outputs(real.y, real.se);
    for (Eigen::Index j = 0; j < n; ++j) {
      if (real.y(j) < midpoint) continue;
      Eigen::MatrixXd x(n - 1, 5);
      Eigen::VectorXd z(n - 1), noise(n - 1);
      for (Eigen::Index i = 0, row = 0; i < n; ++i) {
        if (i == j) continue;
        x.row(row) = warped.row(i);
        z(row) = all.z(i);
        noise(row) = all.noise_variances(i);
        ++row;
      }
      GaussianProcess gp(5);
      gp.set_hyperparameters(model.gp().hyperparameters());
      ASSERT_EQ(gp.set_data(x, z, noise), FitStatus::kOk);
      const double predicted = model.warp().inverse(gp.predict(warped.row(j).transpose()).mean);
      misses.push_back(std::fabs(predicted - real.y(j)));
    }
    std::vector<double> se(real.se.data(), real.se.data() + n);
    EXPECT_LT(median_of(misses), 0.5 * median_of(se)) << "metric " << static_cast<int>(metric);
  }
}

/// The warp keeps every prediction between a floor 2 standard errors under chance and a ceiling
/// 5 above the best run, and the ceiling does not pin the best run: predictions pass it
/// (measured over these points: acc_norm in [0.2421, 0.7531] with the runs in [0.2504, 0.7385];
/// acc in [0.2411, 0.5739] with the runs in [0.2504, 0.5598]).
TEST(LoraSurrogateTest, PredictionsStayBetweenChanceAndAFewStandardErrorsAboveTheBestRun) {
  constexpr double kMinPassBest = 0.005;  // some prediction exceeds the best run by this much
  for (LoraMetric metric : {LoraMetric::kAccNorm, LoraMetric::kAcc}) {
    const LogitWarp& warp = surrogate().model(metric).warp();
    const double best = surrogate().best_real_score(metric);
    EXPECT_GT(warp.high - best, 0.02) << to_string(metric);
    EXPECT_LT(warp.high - best, 0.03) << to_string(metric);
    EXPECT_LT(warp.low, kChance) << to_string(metric);
    EXPECT_GT(warp.low, kChance - 0.011) << to_string(metric);
  }
  const RunData acc_norm = run_data(Measured::kAccNorm);
  EXPECT_DOUBLE_EQ(surrogate().best_real_score(LoraMetric::kAccNorm), acc_norm.y.maxCoeff());
  EXPECT_DOUBLE_EQ(surrogate().best_real_score(LoraMetric::kAcc),
                   run_data(Measured::kAcc).y.maxCoeff());
  std::mt19937_64 rng(2025);
  double highest_acc_norm = 0.0, highest_acc = 0.0;
  for (int i = 0; i < kBoundPoints; ++i) {
    const LoraSurrogate::Estimate e = surrogate().predict(at_unit(random_unit(rng)));
    ASSERT_TRUE(std::isfinite(e.hellaswag_acc_norm) && std::isfinite(e.hellaswag_acc_norm_sd) &&
                std::isfinite(e.hellaswag_acc) && std::isfinite(e.mmlu_acc) &&
                std::isfinite(e.minutes))
        << "point " << i;
    for (LoraMetric metric : {LoraMetric::kAccNorm, LoraMetric::kAcc}) {
      const LogitWarp& warp = surrogate().model(metric).warp();
      ASSERT_GT(e.hellaswag(metric), warp.low) << "point " << i;
      ASSERT_LT(e.hellaswag(metric), warp.high) << "point " << i;
    }
    ASSERT_GE(e.hellaswag_acc_norm_sd, 0.0);
    ASSERT_GE(e.hellaswag_acc_sd, 0.0);
    highest_acc_norm = std::max(highest_acc_norm, e.hellaswag_acc_norm);
    highest_acc = std::max(highest_acc, e.hellaswag_acc);
  }
  EXPECT_GT(highest_acc_norm, surrogate().best_real_score(LoraMetric::kAccNorm) + kMinPassBest);
  EXPECT_GT(highest_acc, surrogate().best_real_score(LoraMetric::kAcc) + kMinPassBest);
}

/// The divergence cliff: at a learning rate of 1e-2 training diverges (HellaSwag near chance,
/// 0.25) for most settings of the other four parameters, at 1e-4 it reaches the plateau (acc_norm
/// ~0.73, acc ~0.55). Not for all: LoRA scales its update by lora_alpha / lora_r, so a small ratio
/// still trains at 1e-2. Measured over these 500 random settings, acc_norm: 94% below 0.4 at 1e-2,
/// 92% above 0.65 at 1e-4; acc: 98% below 0.35, 90% above 0.5 (without the learning-rate warp 83%,
/// 91%, 85%, 90%).
TEST(LoraSurrogateTest, TrainingDivergesAboveALearningRateOfAboutOneInAThousand) {
  constexpr int kSettings = 500;
  constexpr double kMinShareDiverged = 0.75;
  constexpr double kMinShareTrained = 0.8;
  struct Levels {
    LoraMetric metric;
    double diverged;
    double trained;
  };
  for (const Levels& levels :
       {Levels{LoraMetric::kAccNorm, 0.4, 0.65}, Levels{LoraMetric::kAcc, 0.35, 0.5}}) {
    std::mt19937_64 rng(77);
    int diverged = 0;
    int trained = 0;
    for (int i = 0; i < kSettings; ++i) {
      auto values = at_unit(random_unit(rng));
      values[0] = 1e-2;
      if (surrogate().predict(values).hellaswag(levels.metric) < levels.diverged) ++diverged;
      values[0] = 1e-4;
      if (surrogate().predict(values).hellaswag(levels.metric) > levels.trained) ++trained;
    }
    EXPECT_GE(diverged, kMinShareDiverged * kSettings) << to_string(levels.metric);
    EXPECT_GE(trained, kMinShareTrained * kSettings) << to_string(levels.metric);

    // The best acc_norm run's other settings.
    auto best = good_values();
    best[0] = 1e-2;
    EXPECT_LT(surrogate().predict(best).hellaswag(levels.metric), levels.diverged)
        << to_string(levels.metric);
    best[0] = 1e-4;
    EXPECT_GT(surrogate().predict(best).hellaswag(levels.metric), levels.trained)
        << to_string(levels.metric);
  }
}

/// Measured: 53.0 minutes at rank 2, 66.3 at rank 512.
TEST(LoraSurrogateTest, TrainingMinutesGrowWithTheRank) {
  EXPECT_GE(surrogate().minutes_for_rank(2), 52.0);
  EXPECT_LE(surrogate().minutes_for_rank(2), 54.0);
  EXPECT_GE(surrogate().minutes_for_rank(512), 65.0);
  EXPECT_LE(surrogate().minutes_for_rank(512), 68.0);
  // predict() reports the same minutes.
  std::mt19937_64 rng(3);
  const auto values = at_unit(random_unit(rng));
  EXPECT_DOUBLE_EQ(
      surrogate().predict(values).minutes,
      surrogate().minutes_for_rank(static_cast<double>(std::get<std::int64_t>(values[1]))));
}

TEST(LoraSurrogateTest, ValuesOutsideTheSpaceThrow) {
  EXPECT_THROW(surrogate().predict({1e-4, std::int64_t{8}, std::int64_t{16}, 0.1}),
               std::invalid_argument);
  EXPECT_THROW(surrogate().predict({1.0, std::int64_t{8}, std::int64_t{16}, 0.1, 1e-3}),
               std::invalid_argument);
  EXPECT_THROW(surrogate().predict({1e-4, std::int64_t{1024}, std::int64_t{16}, 0.1, 1e-3}),
               std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// The builtin objective

BuiltinObjective lora_objective(double noise_sd = 0.0, double time_scale = 0.0,
                                std::string metric = "") {
  BuiltinObjective o;
  o.function = kLoraSurrogate;
  o.noise_sd = noise_sd;
  o.time_scale = time_scale;
  o.metric = std::move(metric);
  return o;
}

EvaluateMessage request(std::int64_t trial_id, std::vector<ParamValue> params) {
  EvaluateMessage m;
  m.trial_id = trial_id;
  m.params = std::move(params);
  m.trial_dir = "/nonexistent/builtin/needs/no/directory";
  return m;
}

TEST(LoraBuiltinEvaluatorTest, ScoresAccNormByDefaultAndReportsEveryMetric) {
  const LoraSurrogate::Estimate e = surrogate().predict(good_values());
  struct Case {
    std::string metric;
    double expected;
  };
  for (const Case& c : {Case{"", e.hellaswag_acc_norm}, Case{"acc_norm", e.hellaswag_acc_norm},
                        Case{"acc", e.hellaswag_acc}}) {
    BuiltinEvaluator evaluator(lora_objective(0.0, 0.0, c.metric), seed_lora_search_space(), 1);
    const EvaluationOutcome outcome = evaluator.evaluate(request(0, good_values()));
    ASSERT_EQ(outcome.status, TrialStatus::kOk) << outcome.reason;
    EXPECT_DOUBLE_EQ(outcome.score, c.expected) << "metric '" << c.metric << "'";
    for (const char* key :
         {"hellaswag_acc", "hellaswag_acc_norm", "mmlu_acc", "train_minutes", "noiseless"}) {
      ASSERT_TRUE(outcome.metrics.contains(key)) << key << " in " << outcome.metrics.dump();
      EXPECT_TRUE(outcome.metrics[key].is_number()) << key;
    }
    EXPECT_DOUBLE_EQ(outcome.metrics["hellaswag_acc"].get<double>(), e.hellaswag_acc);
    EXPECT_DOUBLE_EQ(outcome.metrics["hellaswag_acc_norm"].get<double>(), e.hellaswag_acc_norm);
    EXPECT_DOUBLE_EQ(outcome.metrics["noiseless"].get<double>(), c.expected);
    EXPECT_DOUBLE_EQ(outcome.metrics["mmlu_acc"].get<double>(), e.mmlu_acc);
    EXPECT_DOUBLE_EQ(outcome.metrics["train_minutes"].get<double>(), e.minutes);
    EXPECT_FALSE(outcome.metrics.contains("simulated_seconds")) << "time_scale 0 sleeps not";
  }
  EXPECT_NE(e.hellaswag_acc, e.hellaswag_acc_norm);
}

TEST(LoraBuiltinEvaluatorTest, AnUnknownMetricIsRejected) {
  EXPECT_THROW(BuiltinEvaluator(lora_objective(0.0, 0.0, "acc,none"), seed_lora_search_space(), 1),
               std::invalid_argument);
}

TEST(LoraBuiltinEvaluatorTest, NoiseIsReproduciblePerTrialId) {
  BuiltinEvaluator a(lora_objective(0.005), seed_lora_search_space(), 42);
  BuiltinEvaluator b(lora_objective(0.005), seed_lora_search_space(), 42);
  const double clean = surrogate().predict(good_values()).hellaswag_acc_norm;
  std::vector<double> scores;
  for (std::int64_t trial = 0; trial < 6; ++trial) {
    const double first = a.evaluate(request(trial, good_values())).score;
    // Another evaluator, another order: the same trial id gives the same score.
    EXPECT_EQ(b.evaluate(request(5 - trial, good_values())).status, TrialStatus::kOk);
    EXPECT_EQ(b.evaluate(request(trial, good_values())).score, first) << "trial " << trial;
    EXPECT_NE(first, clean) << "trial " << trial << " has no noise";
    EXPECT_EQ(a.evaluate(request(trial, good_values())).metrics["noiseless"].get<double>(), clean);
    EXPECT_LT(std::fabs(first - clean), 6 * 0.005) << "trial " << trial;
    for (double s : scores) EXPECT_NE(s, first) << "trial " << trial << " repeats a draw";
    scores.push_back(first);
  }
  // Another campaign seed, other draws.
  BuiltinEvaluator c(lora_objective(0.005), seed_lora_search_space(), 43);
  EXPECT_NE(c.evaluate(request(0, good_values())).score, scores[0]);
}

TEST(LoraBuiltinEvaluatorTest, TimeScaleSleepsThePredictedTrainingTime) {
  constexpr double kTimeScale = 0.01;
  BuiltinEvaluator evaluator(lora_objective(0.0, kTimeScale), seed_lora_search_space(), 1);
  const auto values = good_values();
  const double expected = surrogate().predict(values).minutes / 60.0 * kTimeScale;  // ~11 ms
  const auto start = std::chrono::steady_clock::now();
  const EvaluationOutcome outcome = evaluator.evaluate(request(0, values));
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(outcome.status, TrialStatus::kOk);
  ASSERT_TRUE(outcome.metrics.contains("simulated_seconds"));
  EXPECT_NEAR(outcome.metrics["simulated_seconds"].get<double>(), expected, 1e-12);
  EXPECT_GE(elapsed, expected);
  EXPECT_LT(elapsed, expected + 0.5) << "slept far too long";
}

TEST(LoraBuiltinEvaluatorTest, AnotherSearchSpaceIsRejected) {
  BuiltinObjective branin;
  branin.function = "branin";
  EXPECT_THROW(BuiltinEvaluator(lora_objective(), describe_builtin(branin).space, 1),
               std::invalid_argument);
  // Five parameters, but not the seed's names.
  std::vector<Parameter> renamed = seed_lora_search_space().parameters();
  renamed[1].name = "rank";
  EXPECT_THROW(BuiltinEvaluator(lora_objective(), SearchSpace(renamed), 1), std::invalid_argument);
  // The seed's names in another order.
  std::vector<Parameter> swapped = seed_lora_search_space().parameters();
  std::swap(swapped[1], swapped[2]);
  EXPECT_THROW(BuiltinEvaluator(lora_objective(), SearchSpace(swapped), 1), std::invalid_argument);
  EXPECT_THROW(BuiltinEvaluator(lora_objective(), SearchSpace(), 1), std::invalid_argument);
}

}  // namespace
}  // namespace lorahpo
