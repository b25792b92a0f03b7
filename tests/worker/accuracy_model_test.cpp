#include "worker/accuracy_model.h"

#include <cmath>
#include <random>
#include <stdexcept>

#include <gtest/gtest.h>
#include <Eigen/Dense>

namespace lorahpo {
namespace {

/// Round trip through the warp, in accuracy units.
constexpr double kRoundTripTol = 1e-12;
/// Central difference step and relative tolerance of the delta method's slope.
constexpr double kFdStep = 1e-6;
constexpr double kFdRelTol = 1e-6;

/// The Kumaraswamy CDF: the identity at a = b = 1, monotone, 0 and 1 at the ends, and with the
/// lora_surrogate's HellaSwag warp (a = e^2.5, b = e^2) steep near the top, flat below.
TEST(KumaraswamyWarpTest, IdentityAtOneMonotoneAndStretchesTheTopWhenAIsLarge) {
  const KumaraswamyWarp identity;
  for (double u : {0.1, 0.5, 0.9}) EXPECT_NEAR(identity.forward(u), u, 1e-12);
  const KumaraswamyWarp warp{std::exp(2.5), std::exp(2.0)};
  EXPECT_NEAR(warp.forward(0.0), 0.0, 1e-12);
  EXPECT_NEAR(warp.forward(1.0), 1.0, 1e-12);
  double previous = -1.0;
  for (int i = 0; i <= 100; ++i) {
    const double w = warp.forward(i / 100.0);
    EXPECT_GT(w, previous) << i;
    previous = w;
  }
  // 1 - (1 - u^a)^b by hand at u = 0.78 (a learning rate of 1e-3 in the seed space).
  EXPECT_NEAR(warp.forward(0.78),
              1.0 - std::pow(1.0 - std::pow(0.78, std::exp(2.5)), std::exp(2.0)), 1e-12);
  EXPECT_LT(warp.forward(0.67), 0.06);  // below 1e-4: a twentieth of the axis
  EXPECT_GT(warp.forward(0.89), 0.85);
}

TEST(LogitWarpTest, InverseUndoesForwardAndSlopeIsItsDerivative) {
  const LogitWarp warp{0.24, 0.76};
  for (double y : {0.25, 0.3, 0.5, 0.7, 0.75}) {
    EXPECT_NEAR(warp.inverse(warp.forward(y)), y, kRoundTripTol) << y;
    const double fd = (warp.forward(y + kFdStep) - warp.forward(y - kFdStep)) / (2.0 * kFdStep);
    EXPECT_NEAR(warp.slope(y), fd, kFdRelTol * fd) << y;
  }
  EXPECT_GT(warp.inverse(-20.0), 0.24);
  EXPECT_LT(warp.inverse(20.0), 0.76);
}

/// A cliff from chance to a plateau along the first coordinate, measured with standard error 0.005.
struct CliffData {
  Eigen::MatrixXd x;
  Eigen::VectorXd accuracy;
  Eigen::VectorXd standard_error;
};

CliffData cliff_data(int n, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 0.005);
  CliffData d{Eigen::MatrixXd(n, 2), Eigen::VectorXd(n), Eigen::VectorXd::Constant(n, 0.005)};
  for (int i = 0; i < n; ++i) {
    d.x(i, 0) = uniform(rng);
    d.x(i, 1) = uniform(rng);
    const double trained = 1.0 / (1.0 + std::exp((d.x(i, 0) - 0.7) / 0.03));
    d.accuracy(i) = 0.25 + 0.3 * trained + 0.01 * d.x(i, 1) + normal(rng);
  }
  return d;
}

/// The floor lies 2 median standard errors under chance (or the lowest run), the ceiling 5 above
/// the best run; predictions stay inside and follow the cliff.
TEST(AccuracyModelTest, WarpBoundsFollowChanceAndTheBestRunAndPredictionsStayInside) {
  std::mt19937_64 rng(7);
  const CliffData d = cliff_data(60, rng);
  AccuracyModel model(2);
  model.fit(d.x, d.accuracy, d.standard_error, 0.25, rng);
  EXPECT_DOUBLE_EQ(model.warp().low, std::min(0.25, d.accuracy.minCoeff()) - 2.0 * 0.005);
  EXPECT_DOUBLE_EQ(model.warp().high, d.accuracy.maxCoeff() + 5.0 * 0.005);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (int i = 0; i < 500; ++i) {
    const Eigen::Vector2d at(uniform(rng), uniform(rng));
    const AccuracyModel::Estimate e = model.predict(at);
    ASSERT_GT(e.mean, model.warp().low);
    ASSERT_LT(e.mean, model.warp().high);
    ASSERT_GE(e.sd, 0.0);
  }
  EXPECT_LT(model.predict(Eigen::Vector2d(0.95, 0.5)).mean, 0.3) << "diverged side";
  EXPECT_GT(model.predict(Eigen::Vector2d(0.3, 0.5)).mean, 0.5) << "trained side";
}

TEST(AccuracyModelTest, MismatchedSizesThrow) {
  std::mt19937_64 rng(8);
  const CliffData d = cliff_data(10, rng);
  AccuracyModel model(2);
  EXPECT_THROW(model.fit(d.x, d.accuracy, d.standard_error.head(9), 0.25, rng),
               std::invalid_argument);
  EXPECT_THROW(model.fit(d.x.topRows(9), d.accuracy, d.standard_error, 0.25, rng),
               std::invalid_argument);
}

}  // namespace
}  // namespace lorahpo
