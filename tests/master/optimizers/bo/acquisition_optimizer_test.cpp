#include "master/optimizers/bo/acquisition_optimizer.h"

#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <Eigen/Dense>

#include "common/gaussian_process.h"
#include "master/optimizers/bo/acquisition.h"
#include "master/optimizers/bo/gp_features.h"
#include "tests/support/parameters.h"

namespace lorahpo {
namespace {

using testing_support::float_param;

/// A box (the trust region of TuRBO, Eriksson et al. 2019) bounds the search: the maximizer of
/// the GP mean, which lies at x = (0.9, 0.9) in the cube, is sought in [0.1, 0.4]^2 and found at
/// its corner nearest the optimum.
TEST(AcquisitionOptimizerTest, BoxBoundsTheSearch) {
  const SearchSpace space({float_param("a"), float_param("b")});
  const GpFeatureMap features(space);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Eigen::MatrixXd x(20, 2);
  Eigen::VectorXd y(20);
  for (int i = 0; i < 20; ++i) {
    x(i, 0) = u(rng);
    x(i, 1) = u(rng);
    y(i) = -(x(i, 0) - 0.9) * (x(i, 0) - 0.9) - (x(i, 1) - 0.9) * (x(i, 1) - 0.9);
  }
  GaussianProcess gp(2);
  ASSERT_EQ(gp.fit(x, y, rng), FitStatus::kOk);
  const Acquisition mean(gp, AcquisitionKind::kUcb, y.maxCoeff(), 0.0);
  AcquisitionSearchOptions options;
  options.lower = {0.1, 0.1};
  options.upper = {0.4, 0.4};
  const auto point = maximize_acquisition(
      mean, features, {{0.35, 0.2}}, [](const std::vector<double>&) { return false; }, rng,
      options);
  ASSERT_TRUE(point.has_value());
  for (double v : *point) {
    EXPECT_GE(v, 0.1);
    EXPECT_LE(v, 0.4);
    EXPECT_NEAR(v, 0.4, 0.02) << "the box corner nearest the optimum";
  }
}

}  // namespace
}  // namespace lorahpo
