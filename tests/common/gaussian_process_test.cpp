#include "common/gaussian_process.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>
#include <Eigen/Dense>

#include "common/matern52_kernel.h"

namespace lorahpo {
namespace {

/// Central finite-difference step (log hyperparameters, inputs in the unit cube).
constexpr double kFdStep = 1e-5;
/// Relative tolerance of an analytic gradient against its central difference.
constexpr double kFdRelTol = 1e-6;
/// Absolute floor of that comparison, in units of the differentiated quantity's scale: the central
/// difference's round-off is ~eps |f| / kFdStep ~ 1e-11 |f|.
constexpr double kFdAbsTol = 1e-8;
/// With log noise -18 (noise ~1.5e-8 of the standardized outputs) the GP interpolates.
constexpr double kInterpolationLogNoise = -18.0;
/// Mean at a training point vs. the training value, in the units of y.
constexpr double kInterpolationTol = 1e-4;
/// Variance at a training point, relative to the output variance (output_scale()^2).
constexpr double kInterpolationVarianceTol = 1e-6;
/// Away from the data the variance is at least this many times the largest at the data.
constexpr double kFarVarianceRatio = 100.0;
/// predict_batch and predict go through the same code: identical up to round-off.
constexpr double kBatchTol = 1e-12;

bool close(double analytic, double numeric, double scale) {
  return std::fabs(analytic - numeric) <=
         kFdRelTol * std::max(std::fabs(analytic), std::fabs(numeric)) + kFdAbsTol * scale;
}

Eigen::MatrixXd uniform_points(int n, int dim, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Eigen::MatrixXd x(n, dim);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < dim; ++j) x(i, j) = u(rng);
  return x;
}

double smooth_2d(double a, double b) {
  return std::sin(3.0 * a) + std::cos(2.0 * b);
}

Eigen::VectorXd smooth_values(const Eigen::MatrixXd& x) {
  Eigen::VectorXd y(x.rows());
  for (int i = 0; i < x.rows(); ++i) y(i) = smooth_2d(x(i, 0), x(i, 1));
  return y;
}

/// A GP fitted on `n` uniform points of smooth_2d, with a fixed seed.
struct FittedGp {
  GaussianProcess gp{2};
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
  FitStatus status = FitStatus::kNoData;
};

FittedGp fit_smooth(int n, std::uint64_t seed) {
  FittedGp f;
  std::mt19937_64 rng(seed);
  f.x = uniform_points(n, 2, rng);
  f.y = smooth_values(f.x);
  f.status = f.gp.fit(f.x, f.y, rng);
  return f;
}

bool all_finite(const GpHyperparameters& h) {
  return h.to_vector().allFinite();
}

TEST(GaussianProcessTest, LogPosteriorGradientMatchesFiniteDifferences) {
  std::mt19937_64 rng(11);
  for (int dim : {1, 3}) {
    const Eigen::MatrixXd x = uniform_points(12, dim, rng);
    std::normal_distribution<double> normal(0.0, 1.0);
    Eigen::VectorXd ys(x.rows());
    for (int i = 0; i < ys.size(); ++i) ys(i) = normal(rng);
    ys = (ys.array() - ys.mean()).matrix();

    std::uniform_real_distribution<double> log_l(std::log(0.1), std::log(1.5));
    std::uniform_real_distribution<double> log_s2(std::log(0.3), std::log(3.0));
    std::uniform_real_distribution<double> log_noise(std::log(1e-3), std::log(0.3));
    for (int setting = 0; setting < 4; ++setting) {
      GpHyperparameters h;
      h.log_lengthscales.resize(dim);
      for (int k = 0; k < dim; ++k) h.log_lengthscales(k) = log_l(rng);
      h.log_signal_variance = log_s2(rng);
      h.log_noise_variance = log_noise(rng);

      Eigen::VectorXd grad;
      const double value = GaussianProcess::log_posterior(x, ys, h, &grad);
      ASSERT_TRUE(std::isfinite(value)) << "dim " << dim << ", setting " << setting;
      const Eigen::VectorXd theta = h.to_vector();
      ASSERT_EQ(grad.size(), theta.size());
      for (int i = 0; i < theta.size(); ++i) {
        Eigen::VectorXd plus = theta, minus = theta;
        plus(i) += kFdStep;
        minus(i) -= kFdStep;
        const double fd =
            (GaussianProcess::log_posterior(x, ys, GpHyperparameters::from_vector(plus), nullptr) -
             GaussianProcess::log_posterior(x, ys, GpHyperparameters::from_vector(minus),
                                            nullptr)) /
            (2.0 * kFdStep);
        EXPECT_TRUE(close(grad(i), fd, std::fabs(value)))
            << "dim " << dim << ", setting " << setting << ", theta[" << i << "] = " << theta(i)
            << ": analytic " << grad(i) << ", finite difference " << fd;
      }
    }
  }
}

TEST(GaussianProcessTest, InterpolatesNoiselessDataWithTinyNoise) {
  FittedGp f = fit_smooth(15, 21);
  ASSERT_EQ(f.status, FitStatus::kOk);
  GpHyperparameters h = f.gp.hyperparameters();
  h.log_noise_variance = kInterpolationLogNoise;
  f.gp.set_hyperparameters(h);
  ASSERT_TRUE(f.gp.ready());
  const double output_variance = f.gp.output_scale() * f.gp.output_scale();

  double max_train_variance = 0.0;
  for (int i = 0; i < f.x.rows(); ++i) {
    const Prediction p = f.gp.predict(f.x.row(i).transpose());
    EXPECT_NEAR(p.mean, f.y(i), kInterpolationTol)
        << "training point " << i << ": predicted " << p.mean << ", observed " << f.y(i);
    EXPECT_LT(p.variance, kInterpolationVarianceTol * output_variance)
        << "training point " << i << ": variance " << p.variance << ", output variance "
        << output_variance;
    max_train_variance = std::max(max_train_variance, p.variance);
  }

  // The grid point farthest from every training point, and a point outside the cube.
  Eigen::VectorXd farthest(2);
  double farthest_distance = -1.0;
  for (int a = 0; a <= 20; ++a) {
    for (int b = 0; b <= 20; ++b) {
      const Eigen::RowVectorXd g = (Eigen::RowVectorXd(2) << a / 20.0, b / 20.0).finished();
      const double d = (f.x.rowwise() - g).rowwise().norm().minCoeff();
      if (d > farthest_distance) {
        farthest_distance = d;
        farthest = g.transpose();
      }
    }
  }
  for (const Eigen::VectorXd& away :
       {farthest, Eigen::VectorXd(Eigen::VectorXd::Constant(2, 2.0))}) {
    const Prediction p = f.gp.predict(away);
    EXPECT_GT(p.variance, kFarVarianceRatio * max_train_variance)
        << "at (" << away(0) << ", " << away(1) << "): variance " << p.variance
        << ", largest at the training points " << max_train_variance;
  }
}

TEST(GaussianProcessTest, FitRecoversShortAndLongLengthscales) {
  // y ~ GP(0, Matern-5/2 with l = (0.2, 2.0), s2 = 1) on 80 uniform points, drawn via Cholesky.
  constexpr double kTrueShort = 0.2;
  constexpr double kTrueLong = 2.0;
  constexpr double kSampleJitter = 1e-8;
  constexpr double kFactor = 2.0;          // fitted short lengthscale within this factor of 0.2
  constexpr double kClearlyShorter = 3.0;  // and at least this many times shorter than dim 1's
  std::mt19937_64 rng(31);
  const Eigen::MatrixXd x = uniform_points(80, 2, rng);
  const Matern52Kernel truth((Eigen::VectorXd(2) << kTrueShort, kTrueLong).finished(), 1.0);
  Eigen::MatrixXd k = truth.gram(x, x);
  k.diagonal().array() += kSampleJitter;
  const Eigen::LLT<Eigen::MatrixXd> llt(k);
  ASSERT_EQ(llt.info(), Eigen::Success);
  std::normal_distribution<double> normal(0.0, 1.0);
  Eigen::VectorXd z(x.rows());
  for (int i = 0; i < z.size(); ++i) z(i) = normal(rng);
  const Eigen::VectorXd y = llt.matrixL() * z;

  GaussianProcess gp(2);
  ASSERT_EQ(gp.fit(x, y, rng), FitStatus::kOk);
  const Eigen::VectorXd l = gp.hyperparameters().log_lengthscales.array().exp();
  EXPECT_GT(l(0), kTrueShort / kFactor) << "fitted " << l(0) << ", true " << kTrueShort;
  EXPECT_LT(l(0), kTrueShort * kFactor) << "fitted " << l(0) << ", true " << kTrueShort;
  EXPECT_GT(l(1), kClearlyShorter * l(0)) << "fitted lengthscales (" << l(0) << ", " << l(1)
                                          << "), true (" << kTrueShort << ", " << kTrueLong << ")";
}

TEST(GaussianProcessTest, DuplicatedPointsDoNotBreakFitOrPredict) {
  std::mt19937_64 rng(41);
  Eigen::MatrixXd base = uniform_points(10, 2, rng);
  Eigen::VectorXd base_y = smooth_values(base);
  // The same x five times with slightly different y, and point 3 three more times with its y.
  Eigen::MatrixXd x(base.rows() + 8, 2);
  Eigen::VectorXd y(x.rows());
  x.topRows(base.rows()) = base;
  y.head(base.rows()) = base_y;
  const Eigen::RowVectorXd repeated = (Eigen::RowVectorXd(2) << 0.4, 0.6).finished();
  for (int i = 0; i < 5; ++i) {
    x.row(base.rows() + i) = repeated;
    y(base.rows() + i) = smooth_2d(0.4, 0.6) + 1e-3 * (i - 2);
  }
  for (int i = 5; i < 8; ++i) {
    x.row(base.rows() + i) = base.row(3);
    y(base.rows() + i) = base_y(3);
  }

  GaussianProcess gp(2);
  ASSERT_EQ(gp.fit(x, y, rng), FitStatus::kOk);
  EXPECT_TRUE(gp.ready());
  EXPECT_TRUE(all_finite(gp.hyperparameters()));
  Eigen::MatrixXd probes = uniform_points(5, 2, rng);
  probes.conservativeResize(7, 2);
  probes.row(5) = repeated;
  probes.row(6) = base.row(3);
  for (int i = 0; i < probes.rows(); ++i) {
    const Prediction p = gp.predict(probes.row(i).transpose());
    EXPECT_TRUE(std::isfinite(p.mean)) << "probe " << i << ": mean " << p.mean;
    EXPECT_TRUE(std::isfinite(p.variance) && p.variance > 0.0)
        << "probe " << i << ": variance " << p.variance;
  }
  // The duplicates' average is what the mean should be near at the repeated x.
  const double at_repeated = gp.predict(repeated.transpose()).mean;
  EXPECT_NEAR(at_repeated, smooth_2d(0.4, 0.6), 0.05)
      << "predicted " << at_repeated << ", observed around " << smooth_2d(0.4, 0.6);
}

// What makes BO-GP's kriging believer cheap: conditioning on points observed at their own
// posterior mean moves the mean nowhere (only the variance shrinks), so all lies can be taken
// from the GP on the real data at once.
TEST(GaussianProcessTest, ObservingThePosteriorMeanLeavesTheMeanUnchanged) {
  FittedGp f = fit_smooth(15, 5);
  ASSERT_EQ(f.status, FitStatus::kOk);
  std::mt19937_64 rng(6);
  const Eigen::MatrixXd lies = uniform_points(6, 2, rng);
  const Eigen::MatrixXd probes = uniform_points(20, 2, rng);
  Eigen::VectorXd before_mean, before_var;
  f.gp.predict_batch(probes, &before_mean, &before_var);

  Eigen::MatrixXd x(f.x.rows() + lies.rows(), 2);
  Eigen::VectorXd y(x.rows());
  x << f.x, lies;
  y.head(f.y.size()) = f.y;
  for (int i = 0; i < lies.rows(); ++i)
    y(f.y.size() + i) = f.gp.predict(lies.row(i).transpose()).mean;
  ASSERT_EQ(f.gp.condition(x, y), FitStatus::kOk);
  Eigen::VectorXd after_mean, after_var;
  f.gp.predict_batch(probes, &after_mean, &after_var);
  for (int i = 0; i < probes.rows(); ++i) {
    EXPECT_NEAR(after_mean(i), before_mean(i), 1e-6 * (1.0 + std::fabs(before_mean(i))));
    EXPECT_LE(after_var(i), before_var(i) + 1e-12);
  }
}

TEST(GaussianProcessTest, ConstantObservationsGiveNoNaN) {
  constexpr double kConstant = 3.7;
  std::mt19937_64 rng(51);
  const Eigen::MatrixXd x = uniform_points(10, 3, rng);
  const Eigen::VectorXd y = Eigen::VectorXd::Constant(x.rows(), kConstant);
  GaussianProcess gp(3);
  ASSERT_EQ(gp.fit(x, y, rng), FitStatus::kOk);
  EXPECT_TRUE(all_finite(gp.hyperparameters()));
  EXPECT_TRUE(std::isfinite(gp.output_scale()) && gp.output_scale() > 0.0) << gp.output_scale();
  const Eigen::MatrixXd probes = uniform_points(6, 3, rng);
  for (int i = 0; i < probes.rows(); ++i) {
    Eigen::VectorXd dmean, dvar;
    const Prediction p = gp.predict_with_gradient(probes.row(i).transpose(), &dmean, &dvar);
    EXPECT_NEAR(p.mean, kConstant, 1e-9) << "probe " << i << ": mean " << p.mean;
    EXPECT_TRUE(std::isfinite(p.variance) && p.variance > 0.0)
        << "probe " << i << ": variance " << p.variance;
    EXPECT_TRUE(dmean.allFinite() && dvar.allFinite()) << "probe " << i;
  }
}

TEST(GaussianProcessTest, ConditionKeepsHyperparametersAndMovesThePrediction) {
  FittedGp f = fit_smooth(12, 61);
  ASSERT_EQ(f.status, FitStatus::kOk);
  const Eigen::VectorXd before_theta = f.gp.hyperparameters().to_vector();
  const double before_mean = f.gp.output_mean();
  const double before_scale = f.gp.output_scale();

  const Eigen::RowVectorXd fresh = (Eigen::RowVectorXd(2) << 0.93, 0.07).finished();
  const Prediction before = f.gp.predict(fresh.transpose());
  const double fantasy = before.mean + 1.0;  // a liar's value well off the current prediction

  Eigen::MatrixXd x(f.x.rows() + 1, 2);
  x << f.x, fresh;
  Eigen::VectorXd y(f.y.size() + 1);
  y << f.y, fantasy;
  ASSERT_EQ(f.gp.condition(x, y), FitStatus::kOk);
  EXPECT_EQ(f.gp.size(), x.rows());

  const Eigen::VectorXd after_theta = f.gp.hyperparameters().to_vector();
  ASSERT_EQ(after_theta.size(), before_theta.size());
  for (int i = 0; i < after_theta.size(); ++i)
    EXPECT_EQ(after_theta(i), before_theta(i)) << "hyperparameter " << i << " moved";
  EXPECT_EQ(f.gp.output_mean(), before_mean);
  EXPECT_EQ(f.gp.output_scale(), before_scale);

  const Prediction after = f.gp.predict(fresh.transpose());
  EXPECT_LT(std::fabs(after.mean - fantasy), std::fabs(before.mean - fantasy))
      << "mean before " << before.mean << ", after " << after.mean << ", fantasy " << fantasy;
  EXPECT_LT(after.variance, before.variance)
      << "variance before " << before.variance << ", after " << after.variance;
}

TEST(GaussianProcessTest, PredictionGradientsMatchFiniteDifferences) {
  FittedGp f = fit_smooth(15, 71);
  ASSERT_EQ(f.status, FitStatus::kOk);
  std::mt19937_64 rng(72);
  const Eigen::MatrixXd probes = uniform_points(8, 2, rng);
  const double output_variance = f.gp.output_scale() * f.gp.output_scale();
  for (int p = 0; p < probes.rows(); ++p) {
    const Eigen::VectorXd x = probes.row(p).transpose();
    Eigen::VectorXd dmean, dvar;
    const Prediction with_gradient = f.gp.predict_with_gradient(x, &dmean, &dvar);
    const Prediction plain = f.gp.predict(x);
    EXPECT_NEAR(with_gradient.mean, plain.mean, kFdAbsTol * f.gp.output_scale())
        << "probe " << p << ": predict_with_gradient " << with_gradient.mean << ", predict "
        << plain.mean;
    EXPECT_NEAR(with_gradient.variance, plain.variance, kFdAbsTol * output_variance)
        << "probe " << p << ": predict_with_gradient " << with_gradient.variance << ", predict "
        << plain.variance;
    ASSERT_EQ(dmean.size(), 2);
    ASSERT_EQ(dvar.size(), 2);
    for (int i = 0; i < 2; ++i) {
      Eigen::VectorXd plus = x, minus = x;
      plus(i) += kFdStep;
      minus(i) -= kFdStep;
      const Prediction pp = f.gp.predict(plus);
      const Prediction pm = f.gp.predict(minus);
      const double fd_mean = (pp.mean - pm.mean) / (2.0 * kFdStep);
      const double fd_var = (pp.variance - pm.variance) / (2.0 * kFdStep);
      EXPECT_TRUE(close(dmean(i), fd_mean, f.gp.output_scale()))
          << "probe " << p << ", coordinate " << i << ": mean gradient " << dmean(i)
          << ", finite difference " << fd_mean;
      EXPECT_TRUE(close(dvar(i), fd_var, output_variance))
          << "probe " << p << ", coordinate " << i << ": variance gradient " << dvar(i)
          << ", finite difference " << fd_var;
    }
  }
}

TEST(GaussianProcessTest, PredictBatchEqualsPredictPointwise) {
  FittedGp f = fit_smooth(15, 81);
  ASSERT_EQ(f.status, FitStatus::kOk);
  std::mt19937_64 rng(82);
  Eigen::MatrixXd xs = uniform_points(9, 2, rng);
  xs.row(0) = f.x.row(2);  // a training point, where the variance floor applies
  Eigen::VectorXd mean, variance;
  f.gp.predict_batch(xs, &mean, &variance);
  ASSERT_EQ(mean.size(), xs.rows());
  ASSERT_EQ(variance.size(), xs.rows());
  const double output_variance = f.gp.output_scale() * f.gp.output_scale();
  for (int i = 0; i < xs.rows(); ++i) {
    const Prediction p = f.gp.predict(xs.row(i).transpose());
    EXPECT_NEAR(mean(i), p.mean, kBatchTol * f.gp.output_scale())
        << "row " << i << ": batch " << mean(i) << ", pointwise " << p.mean;
    EXPECT_NEAR(variance(i), p.variance, kBatchTol * output_variance)
        << "row " << i << ": batch " << variance(i) << ", pointwise " << p.variance;
  }
}

// ---------------------------------------------------------------------------------------------
// Fixed per-point (heteroscedastic) noise: K + diag(noise_variances) + sigma_n^2 I

/// Known noise variances between 0.05^2 and 0.3^2, one per point of a smooth_2d sample.
Eigen::VectorXd varied_noise_variances(int n) {
  Eigen::VectorXd v(n);
  for (int i = 0; i < n; ++i) {
    const double sd = 0.05 + 0.25 * static_cast<double>(i % 7) / 6.0;
    v(i) = sd * sd;
  }
  return v;
}

GpHyperparameters some_hyperparameters() {
  GpHyperparameters h;
  h.log_lengthscales = (Eigen::VectorXd(2) << std::log(0.4), std::log(0.7)).finished();
  h.log_signal_variance = std::log(1.3);
  h.log_noise_variance = std::log(1e-3);
  return h;
}

/// The posterior with fixed noise is Rasmussen & Williams (2006) eqs. 2.25-2.26 with K + sigma_n^2
/// I replaced by K + diag(noise) + sigma_n^2 I, computed here by hand on the standardized outputs.
TEST(GaussianProcessFixedNoiseTest, PosteriorIsTheClosedFormWithTheNoiseOnTheDiagonal) {
  std::mt19937_64 rng(91);
  const Eigen::MatrixXd x = uniform_points(10, 2, rng);
  const Eigen::VectorXd y = smooth_values(x);
  const Eigen::VectorXd noise = varied_noise_variances(10);
  const GpHyperparameters h = some_hyperparameters();
  GaussianProcess gp(2);
  gp.set_hyperparameters(h);
  ASSERT_EQ(gp.set_data(x, y, noise), FitStatus::kOk);

  const double mean = y.mean();
  const double scale = std::sqrt((y.array() - mean).square().sum() / 9.0);
  const Matern52Kernel kernel(h.log_lengthscales.array().exp(), std::exp(h.log_signal_variance));
  Eigen::MatrixXd k = kernel.gram(x, x);
  k.diagonal().array() += std::exp(h.log_noise_variance) + noise.array() / (scale * scale);
  const Eigen::LLT<Eigen::MatrixXd> llt(k);
  const Eigen::VectorXd alpha = llt.solve(((y.array() - mean) / scale).matrix());

  const Eigen::MatrixXd probes = uniform_points(6, 2, rng);
  for (int p = 0; p < probes.rows(); ++p) {
    const Eigen::VectorXd at = probes.row(p).transpose();
    const Eigen::VectorXd k_star = kernel.gram(x, probes.row(p));
    const double expected_mean = mean + scale * k_star.dot(alpha);
    const double expected_variance =
        scale * scale * (std::exp(h.log_signal_variance) - k_star.dot(llt.solve(k_star)));
    const Prediction got = gp.predict(at);
    EXPECT_NEAR(got.mean, expected_mean, kBatchTol * 100.0 * scale)
        << "probe " << p << ": " << got.mean << " vs " << expected_mean;
    EXPECT_NEAR(got.variance, expected_variance, kBatchTol * 100.0 * scale * scale)
        << "probe " << p << ": " << got.variance << " vs " << expected_variance;
    Eigen::VectorXd dmean, dvar;
    const Prediction with_gradient = gp.predict_with_gradient(at, &dmean, &dvar);
    EXPECT_NEAR(with_gradient.mean, expected_mean, kBatchTol * 100.0 * scale) << "probe " << p;
    EXPECT_NEAR(with_gradient.variance, expected_variance, kBatchTol * 100.0 * scale * scale)
        << "probe " << p;
  }

  // condition() with the same noise gives the same posterior; without it, another one.
  ASSERT_EQ(gp.condition(x, y, noise), FitStatus::kOk);
  const Eigen::VectorXd probe = probes.row(0).transpose();
  const Eigen::VectorXd k_star = kernel.gram(x, probes.row(0));
  EXPECT_NEAR(gp.predict(probe).mean, mean + scale * k_star.dot(alpha), kBatchTol * 100.0 * scale);
  ASSERT_EQ(gp.condition(x, y), FitStatus::kOk);
  EXPECT_GT(std::fabs(gp.predict(probe).mean - (mean + scale * k_star.dot(alpha))), 1e-6 * scale)
      << "conditioning without noise variances kept the previous ones";
}

/// The same noise variance v at every point is homoscedastic noise: the GP equals one whose noise
/// hyperparameter is sigma_n^2 + v (standardized), in its posterior and its log posterior.
TEST(GaussianProcessFixedNoiseTest, EqualNoiseAtEveryPointIsHomoscedasticNoise) {
  std::mt19937_64 rng(92);
  const Eigen::MatrixXd x = uniform_points(12, 2, rng);
  const Eigen::VectorXd y = smooth_values(x);
  const double v = 0.02;
  const GpHyperparameters h = some_hyperparameters();
  GaussianProcess fixed(2);
  fixed.set_hyperparameters(h);
  ASSERT_EQ(fixed.set_data(x, y, Eigen::VectorXd::Constant(12, v)), FitStatus::kOk);

  const double scale = fixed.output_scale();
  GpHyperparameters merged = h;
  merged.log_noise_variance = std::log(std::exp(h.log_noise_variance) + v / (scale * scale));
  GaussianProcess homoscedastic(2);
  homoscedastic.set_hyperparameters(merged);
  ASSERT_EQ(homoscedastic.set_data(x, y), FitStatus::kOk);

  const Eigen::MatrixXd probes = uniform_points(5, 2, rng);
  for (int p = 0; p < probes.rows(); ++p) {
    const Prediction a = fixed.predict(probes.row(p).transpose());
    const Prediction b = homoscedastic.predict(probes.row(p).transpose());
    EXPECT_NEAR(a.mean, b.mean, kBatchTol * 100.0 * scale) << "probe " << p;
    EXPECT_NEAR(a.variance, b.variance, kBatchTol * 100.0 * scale * scale) << "probe " << p;
  }
  const Eigen::VectorXd ys = ((y.array() - y.mean()) / scale).matrix();
  const Eigen::VectorXd fixed_std = Eigen::VectorXd::Constant(12, v / (scale * scale));
  const double with_fixed = GaussianProcess::log_posterior(x, ys, h, nullptr, &fixed_std);
  const double with_merged = GaussianProcess::log_posterior(x, ys, merged, nullptr);
  // The noise prior is evaluated at sigma_n^2 alone in the first, at sigma_n^2 + v in the second.
  const double prior_gap =
      (1.1 - 1.0) * (h.log_noise_variance - merged.log_noise_variance) -
      0.05 * (std::exp(h.log_noise_variance) - std::exp(merged.log_noise_variance));
  EXPECT_NEAR(with_fixed - with_merged, prior_gap, 1e-9 * std::fabs(with_fixed));
}

TEST(GaussianProcessFixedNoiseTest, LogPosteriorGradientMatchesFiniteDifferences) {
  std::mt19937_64 rng(93);
  const Eigen::MatrixXd x = uniform_points(14, 2, rng);
  Eigen::VectorXd ys = smooth_values(x);
  ys = ((ys.array() - ys.mean()) / std::sqrt((ys.array() - ys.mean()).square().sum() / 13.0))
           .matrix();
  const Eigen::VectorXd fixed = varied_noise_variances(14);
  const GpHyperparameters h = some_hyperparameters();
  Eigen::VectorXd grad;
  const double value = GaussianProcess::log_posterior(x, ys, h, &grad, &fixed);
  ASSERT_TRUE(std::isfinite(value));
  EXPECT_NE(value, GaussianProcess::log_posterior(x, ys, h, nullptr)) << "the noise was ignored";
  const Eigen::VectorXd theta = h.to_vector();
  for (int i = 0; i < theta.size(); ++i) {
    Eigen::VectorXd plus = theta, minus = theta;
    plus(i) += kFdStep;
    minus(i) -= kFdStep;
    const double fd = (GaussianProcess::log_posterior(x, ys, GpHyperparameters::from_vector(plus),
                                                      nullptr, &fixed) -
                       GaussianProcess::log_posterior(x, ys, GpHyperparameters::from_vector(minus),
                                                      nullptr, &fixed)) /
                      (2.0 * kFdStep);
    EXPECT_TRUE(close(grad(i), fd, std::fabs(value)))
        << "theta[" << i << "]: analytic " << grad(i) << ", finite difference " << fd;
  }
}

/// Two observations of the same point that disagree: the posterior mean sits near the precise one.
TEST(GaussianProcessFixedNoiseTest, APreciseObservationOutweighsANoisyOne) {
  Eigen::MatrixXd x(3, 2);
  x << 0.5, 0.5, 0.5, 0.5, 0.1, 0.9;
  const Eigen::VectorXd y = (Eigen::VectorXd(3) << 0.0, 1.0, 0.5).finished();
  GaussianProcess gp(2);
  gp.set_hyperparameters(some_hyperparameters());
  const Eigen::VectorXd at = (Eigen::VectorXd(2) << 0.5, 0.5).finished();
  ASSERT_EQ(gp.set_data(x, y, (Eigen::VectorXd(3) << 1e-4, 1.0, 1e-2).finished()), FitStatus::kOk);
  const double near_first = gp.predict(at).mean;
  ASSERT_EQ(gp.set_data(x, y, (Eigen::VectorXd(3) << 1.0, 1e-4, 1e-2).finished()), FitStatus::kOk);
  const double near_second = gp.predict(at).mean;
  EXPECT_LT(near_first, 0.05) << "the precise observation is 0";
  EXPECT_GT(near_second, 0.95) << "the precise observation is 1";
}

/// Fitted on noisy samples with their known noise, the GP smooths: its mean is closer to the true
/// function than the observations are, and the observations scatter around it as their noise
/// says (an unbiased smoother leaves about 68% within one sd, a little more since the residual
/// variance is sd^2 (1 - h_ii) with h the hat matrix's diagonal; >= 95% within two; an
/// interpolating fit would leave all within one). Measured: rms error 0.042 against 0.162 for the
/// observations, 66 of 80 within one sd, 79 within two.
TEST(GaussianProcessFixedNoiseTest, FitWithKnownNoiseSmoothsInsteadOfInterpolating) {
  constexpr int kPoints = 80;
  std::mt19937_64 rng(94);
  const Eigen::MatrixXd x = uniform_points(kPoints, 2, rng);
  const Eigen::VectorXd truth = smooth_values(x);
  const Eigen::VectorXd noise = varied_noise_variances(kPoints);
  std::normal_distribution<double> normal(0.0, 1.0);
  Eigen::VectorXd y(kPoints);
  for (int i = 0; i < kPoints; ++i) y(i) = truth(i) + std::sqrt(noise(i)) * normal(rng);
  GaussianProcess gp(2);
  GpFitOptions options;
  options.noise_variances = noise;
  ASSERT_EQ(gp.fit(x, y, rng, options), FitStatus::kOk);

  double model_error = 0.0, observation_error = 0.0;
  int within_one = 0, within_two = 0;
  for (int i = 0; i < kPoints; ++i) {
    const double m = gp.predict(x.row(i).transpose()).mean;
    model_error += (m - truth(i)) * (m - truth(i));
    observation_error += (y(i) - truth(i)) * (y(i) - truth(i));
    const double residual = std::fabs(y(i) - m) / std::sqrt(noise(i));
    if (residual <= 1.0) ++within_one;
    if (residual <= 2.0) ++within_two;
  }
  EXPECT_LT(model_error, 0.5 * observation_error)
      << "rms model " << std::sqrt(model_error / kPoints) << ", observations "
      << std::sqrt(observation_error / kPoints);
  EXPECT_GE(within_one, 0.55 * kPoints);
  EXPECT_LE(within_one, 0.9 * kPoints) << "follows the noise";
  EXPECT_GE(within_two, 0.9 * kPoints);
}

/// standardized_residuals() is its definition, (y_i - mean_i) / sqrt(Var r_i) with Var r_i =
/// [N C^-1 N]_ii = N_ii - (posterior variance at x_i), N_ii the point's fixed noise plus the
/// learned one; and it is the standardized leave-one-out residual: y_i's miss by the GP conditioned
/// on the other points, over sqrt(that GP's variance at x_i + N_ii).
TEST(GaussianProcessFixedNoiseTest, StandardizedResidualsAreTheInSampleAndTheLeaveOneOutOnes) {
  constexpr int kPoints = 15;
  constexpr double kTol = 1e-8;  // relative: N_ii - variance cancels a few digits
  std::mt19937_64 rng(96);
  const Eigen::MatrixXd x = uniform_points(kPoints, 2, rng);
  const Eigen::VectorXd y = smooth_values(x);
  const Eigen::VectorXd noise = varied_noise_variances(kPoints);
  GaussianProcess gp(2);
  EXPECT_EQ(gp.standardized_residuals().size(), 0) << "before any data";
  gp.set_hyperparameters(some_hyperparameters());
  ASSERT_EQ(gp.set_data(x, y, noise), FitStatus::kOk);
  const Eigen::VectorXd z = gp.standardized_residuals();
  ASSERT_EQ(z.size(), kPoints);
  const double extra =
      std::exp(gp.hyperparameters().log_noise_variance) * gp.output_scale() * gp.output_scale();
  for (int i = 0; i < kPoints; ++i) {
    const Prediction p = gp.predict(x.row(i).transpose());
    const double n_ii = noise(i) + extra;
    ASSERT_LT(p.variance, n_ii);
    const double in_sample = (y(i) - p.mean) / std::sqrt(n_ii - p.variance);
    EXPECT_NEAR(z(i), in_sample, kTol * std::fabs(in_sample)) << "point " << i;

    Eigen::MatrixXd others_x(kPoints - 1, 2);
    Eigen::VectorXd others_y(kPoints - 1), others_noise(kPoints - 1);
    for (int k = 0, row = 0; k < kPoints; ++k) {
      if (k == i) continue;
      others_x.row(row) = x.row(k);
      others_y(row) = y(k);
      others_noise(row) = noise(k);
      ++row;
    }
    GaussianProcess loo = gp;  // same hyperparameters and standardization
    ASSERT_EQ(loo.condition(others_x, others_y, others_noise), FitStatus::kOk);
    const Prediction q = loo.predict(x.row(i).transpose());
    const double left_out = (y(i) - q.mean) / std::sqrt(q.variance + n_ii);
    EXPECT_NEAR(z(i), left_out, kTol * std::fabs(left_out)) << "point " << i;
  }
}

/// Data drawn from the model itself (a GP prior sample plus each point's noise, conditioned with
/// the true hyperparameters): the standardized residuals are standard normal, the raw residuals
/// over the noise sd are a little too close (shrunk by the leverage, each pointwise smaller).
/// Measured: 263 of 400 within one (0.66), 381 within two (0.95); the raw ones 278 within one.
/// Over seeds 97-116 the standardized ones: 258-299 within one (mean 0.68), 377-389 within two
/// (mean 0.955), so the bands below are about two binomial sd (0.023 at n = 400) around 0.68.
TEST(GaussianProcessFixedNoiseTest, StandardizedResidualsOfTheModelsOwnDataAreStandardNormal) {
  constexpr int kPoints = 400;
  constexpr double kMinWithinOne = 0.63;
  constexpr double kMaxWithinOne = 0.73;
  constexpr double kMinWithinTwo = 0.93;
  std::mt19937_64 rng(97);
  const Eigen::MatrixXd x = uniform_points(kPoints, 2, rng);
  const Eigen::VectorXd noise = varied_noise_variances(kPoints);
  const GpHyperparameters h = some_hyperparameters();
  const Matern52Kernel kernel(h.log_lengthscales.array().exp(), std::exp(h.log_signal_variance));
  Eigen::MatrixXd k = kernel.gram(x, x);
  k.diagonal().array() += 1e-10;
  const Eigen::LLT<Eigen::MatrixXd> prior(k);
  std::normal_distribution<double> normal(0.0, 1.0);
  Eigen::VectorXd white(kPoints), y(kPoints);
  for (int i = 0; i < kPoints; ++i) white(i) = normal(rng);
  const Eigen::VectorXd f = prior.matrixL() * white;
  const double extra = std::exp(h.log_noise_variance);
  for (int i = 0; i < kPoints; ++i) y(i) = f(i) + std::sqrt(noise(i) + extra) * normal(rng);
  // A fresh GP has mean 0 and scale 1: condition() then works in the units of y.
  GaussianProcess gp(2);
  gp.set_hyperparameters(h);
  ASSERT_EQ(gp.condition(x, y, noise), FitStatus::kOk);
  const Eigen::VectorXd z = gp.standardized_residuals();
  int one = 0, two = 0, raw_one = 0;
  for (int i = 0; i < kPoints; ++i) {
    if (std::fabs(z(i)) <= 1.0) ++one;
    if (std::fabs(z(i)) <= 2.0) ++two;
    const double raw = (y(i) - gp.predict(x.row(i).transpose()).mean) / std::sqrt(noise(i) + extra);
    if (std::fabs(raw) <= 1.0) ++raw_one;
  }
  EXPECT_GE(one, kMinWithinOne * kPoints);
  EXPECT_LE(one, kMaxWithinOne * kPoints);
  EXPECT_GE(two, kMinWithinTwo * kPoints);
  EXPECT_GE(raw_one, one) << "a raw residual is never further out than its standardized one";
}

TEST(GaussianProcessFixedNoiseTest, NoiseVariancesOfTheWrongSizeOrSignThrow) {
  std::mt19937_64 rng(95);
  const Eigen::MatrixXd x = uniform_points(5, 2, rng);
  const Eigen::VectorXd y = smooth_values(x);
  GaussianProcess gp(2);
  GpFitOptions options;
  options.noise_variances = Eigen::VectorXd::Constant(4, 0.01);
  EXPECT_THROW(gp.fit(x, y, rng, options), std::invalid_argument);
  EXPECT_THROW(gp.set_data(x, y, Eigen::VectorXd::Constant(6, 0.01)), std::invalid_argument);
  Eigen::VectorXd negative = Eigen::VectorXd::Constant(5, 0.01);
  negative(2) = -1e-3;
  EXPECT_THROW(gp.condition(x, y, negative), std::invalid_argument);
  negative(2) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(gp.set_data(x, y, negative), std::invalid_argument);
  EXPECT_FALSE(gp.ready()) << "a refused call conditioned the GP";
}

}  // namespace
}  // namespace lorahpo
