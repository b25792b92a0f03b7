#include "common/matern52_kernel.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <Eigen/Dense>

namespace lorahpo {
namespace {

/// Central finite-difference step, in the input (or log lengthscale) coordinates.
constexpr double kFdStep = 1e-5;
/// Relative tolerance of an analytic derivative against its central difference.
constexpr double kFdRelTol = 1e-6;
/// Absolute floor of that comparison: the central difference's round-off, ~eps k / kFdStep, which
/// dominates for points very close to each other, where the true derivative is ~0.
constexpr double kFdAbsTol = 1e-10;
/// gram() computes r^2 as |a|^2 + |b|^2 - 2 a.b; the cancellation costs a few ulps of s2.
constexpr double kGramTol = 1e-12;
/// k(x, x), symmetry: exact up to round-off.
constexpr double kExactTol = 1e-14;
/// A Gram matrix may be singular but never indefinite beyond round-off.
constexpr double kMinEigenvalue = -1e-10;

bool close(double analytic, double numeric) {
  return std::fabs(analytic - numeric) <=
         kFdRelTol * std::max(std::fabs(analytic), std::fabs(numeric)) + kFdAbsTol;
}

Eigen::VectorXd uniform_vector(int dim, std::mt19937_64& rng, double lo = 0.0, double hi = 1.0) {
  std::uniform_real_distribution<double> u(lo, hi);
  Eigen::VectorXd v(dim);
  for (int i = 0; i < dim; ++i) v(i) = u(rng);
  return v;
}

Matern52Kernel random_kernel(int dim, std::mt19937_64& rng) {
  const Eigen::VectorXd log_l = uniform_vector(dim, rng, std::log(0.05), std::log(3.0));
  std::uniform_real_distribution<double> log_s2(std::log(0.1), std::log(10.0));
  return Matern52Kernel(log_l.array().exp().matrix(), std::exp(log_s2(rng)));
}

struct PointPair {
  Eigen::VectorXd x;
  Eigen::VectorXd y;
  const char* kind;
};

/// Random pairs at ordinary distances, very close pairs (1e-7 and 1e-4 apart) and equal pairs.
std::vector<PointPair> test_pairs(int dim, std::mt19937_64& rng) {
  std::vector<PointPair> pairs;
  for (int i = 0; i < 6; ++i)
    pairs.push_back({uniform_vector(dim, rng), uniform_vector(dim, rng), "random"});
  for (double gap : {1e-4, 1e-7}) {
    for (int i = 0; i < 2; ++i) {
      const Eigen::VectorXd x = uniform_vector(dim, rng);
      pairs.push_back({x, x + gap * uniform_vector(dim, rng, -1.0, 1.0), "close"});
    }
  }
  for (int i = 0; i < 2; ++i) {
    const Eigen::VectorXd x = uniform_vector(dim, rng);
    pairs.push_back({x, x, "equal"});
  }
  return pairs;
}

TEST(Matern52KernelTest, SelfCovarianceIsSignalVariance) {
  std::mt19937_64 rng(1);
  for (int dim : {1, 3, 7}) {
    const Matern52Kernel kernel = random_kernel(dim, rng);
    for (int i = 0; i < 5; ++i) {
      const Eigen::VectorXd x = uniform_vector(dim, rng, -2.0, 2.0);
      const double k = kernel(x, x);
      EXPECT_NEAR(k, kernel.signal_variance(), kExactTol * kernel.signal_variance())
          << "dim " << dim << ": k(x,x) = " << k
          << ", signal variance = " << kernel.signal_variance();
    }
  }
}

TEST(Matern52KernelTest, IsSymmetricAndBoundedBySignalVariance) {
  std::mt19937_64 rng(2);
  for (int dim : {1, 2, 5}) {
    const Matern52Kernel kernel = random_kernel(dim, rng);
    for (const PointPair& p : test_pairs(dim, rng)) {
      const double kxy = kernel(p.x, p.y);
      const double kyx = kernel(p.y, p.x);
      EXPECT_NEAR(kxy, kyx, kExactTol * kernel.signal_variance())
          << p.kind << " pair, dim " << dim << ": k(x,y) = " << kxy << ", k(y,x) = " << kyx;
      EXPECT_GT(kxy, 0.0) << p.kind << " pair, dim " << dim;
      EXPECT_LE(kxy, kernel.signal_variance() * (1.0 + kExactTol))
          << p.kind << " pair, dim " << dim;
    }
  }
}

TEST(Matern52KernelTest, GramEqualsPairwiseKernel) {
  std::mt19937_64 rng(3);
  for (int dim : {1, 4}) {
    const Matern52Kernel kernel = random_kernel(dim, rng);
    Eigen::MatrixXd a(7, dim), b(5, dim);
    for (int i = 0; i < a.rows(); ++i) a.row(i) = uniform_vector(dim, rng).transpose();
    for (int i = 0; i < b.rows(); ++i) b.row(i) = uniform_vector(dim, rng).transpose();
    b.row(0) = a.row(3);                                         // an equal pair
    b.row(1) = a.row(4) + 1e-7 * Eigen::RowVectorXd::Ones(dim);  // a very close pair
    const Eigen::MatrixXd g = kernel.gram(a, b);
    ASSERT_EQ(g.rows(), a.rows());
    ASSERT_EQ(g.cols(), b.rows());
    for (int i = 0; i < a.rows(); ++i) {
      for (int j = 0; j < b.rows(); ++j) {
        const double pairwise = kernel(a.row(i).transpose(), b.row(j).transpose());
        EXPECT_NEAR(g(i, j), pairwise, kGramTol * kernel.signal_variance())
            << "dim " << dim << ", entry (" << i << ", " << j << "): gram = " << g(i, j)
            << ", operator() = " << pairwise;
      }
    }
  }
}

TEST(Matern52KernelTest, GradientXMatchesFiniteDifferences) {
  std::mt19937_64 rng(4);
  for (int dim : {1, 3}) {
    for (int trial = 0; trial < 3; ++trial) {
      const Matern52Kernel kernel = random_kernel(dim, rng);
      for (const PointPair& p : test_pairs(dim, rng)) {
        const Eigen::VectorXd grad = kernel.gradient_x(p.x, p.y);
        ASSERT_EQ(grad.size(), dim);
        for (int i = 0; i < dim; ++i) {
          Eigen::VectorXd plus = p.x, minus = p.x;
          plus(i) += kFdStep;
          minus(i) -= kFdStep;
          const double fd = (kernel(plus, p.y) - kernel(minus, p.y)) / (2.0 * kFdStep);
          EXPECT_PRED2(close, grad(i), fd)
              << p.kind << " pair, dim " << dim << ", coordinate " << i << ": analytic " << grad(i)
              << ", finite difference " << fd;
        }
      }
    }
  }
}

TEST(Matern52KernelTest, GradientLogLengthscalesMatchesFiniteDifferences) {
  std::mt19937_64 rng(5);
  for (int dim : {1, 3}) {
    for (int trial = 0; trial < 3; ++trial) {
      const Matern52Kernel kernel = random_kernel(dim, rng);
      const Eigen::VectorXd log_l = kernel.lengthscales().array().log().matrix();
      for (const PointPair& p : test_pairs(dim, rng)) {
        const Eigen::VectorXd grad = kernel.gradient_log_lengthscales(p.x, p.y);
        ASSERT_EQ(grad.size(), dim);
        for (int i = 0; i < dim; ++i) {
          Eigen::VectorXd plus = log_l, minus = log_l;
          plus(i) += kFdStep;
          minus(i) -= kFdStep;
          const Matern52Kernel kp(plus.array().exp().matrix(), kernel.signal_variance());
          const Matern52Kernel km(minus.array().exp().matrix(), kernel.signal_variance());
          const double fd = (kp(p.x, p.y) - km(p.x, p.y)) / (2.0 * kFdStep);
          EXPECT_PRED2(close, grad(i), fd)
              << p.kind << " pair, dim " << dim << ", log lengthscale " << i << ": analytic "
              << grad(i) << ", finite difference " << fd;
        }
      }
    }
  }
}

TEST(Matern52KernelTest, RandomGramIsPositiveSemiDefinite) {
  std::mt19937_64 rng(6);
  for (int dim : {1, 2, 6}) {
    const Matern52Kernel kernel = random_kernel(dim, rng);
    Eigen::MatrixXd x(40, dim);
    for (int i = 0; i < x.rows(); ++i) x.row(i) = uniform_vector(dim, rng).transpose();
    x.row(1) = x.row(0);                                         // duplicates make it singular
    x.row(2) = x.row(0) + 1e-8 * Eigen::RowVectorXd::Ones(dim);  // and nearly so
    const Eigen::MatrixXd g = kernel.gram(x, x);
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(g, Eigen::EigenvaluesOnly);
    ASSERT_EQ(eig.info(), Eigen::Success);
    const double min_eigenvalue = eig.eigenvalues().minCoeff();
    EXPECT_GT(min_eigenvalue, kMinEigenvalue * kernel.signal_variance())
        << "dim " << dim << ": min eigenvalue " << min_eigenvalue << ", bound "
        << kMinEigenvalue * kernel.signal_variance();
    EXPECT_NEAR((g - g.transpose()).cwiseAbs().maxCoeff(), 0.0,
                kExactTol * kernel.signal_variance())
        << "dim " << dim << ": gram is not symmetric";
  }
}

}  // namespace
}  // namespace lorahpo
