#include "master/acquisition.h"

#include <cmath>
#include <limits>

namespace lorahpo {
namespace {

constexpr double kHalfLog2Pi = 0.91893853320467274;
const double kSqrtPi = std::sqrt(M_PI);
const double kSqrt2 = std::sqrt(2.0);

/// 1 - x sqrt(pi) erfcx(x) for large x from the asymptotic series
/// x sqrt(pi) erfcx(x) = sum_n (-1)^n (2n-1)!! / (2x^2)^n, whose first term is 1.
double one_minus_scaled_erfcx_series(double x) {
  const double t = 1.0 / (2.0 * x * x);
  double term = 1.0, sum = 0.0;
  for (int n = 1; n <= 20; ++n) {
    term *= -(2.0 * n - 1.0) * t;
    sum += term;
    if (std::fabs(term) < 1e-17 * std::fabs(sum)) break;
  }
  return -sum;
}

/// log Phi(z), stable in both tails.
double log_normal_cdf(double z) {
  if (z > -5.0) return std::log(0.5 * std::erfc(-z / kSqrt2));
  const double x = -z / kSqrt2;
  return std::log(0.5 * erfcx(x)) - x * x;
}

}  // namespace

double erfcx(double x) {
  if (x < 10.0) return std::exp(x * x) * std::erfc(x);
  // Asymptotic series: erfcx(x) = 1/(x sqrt(pi)) sum_n (-1)^n (2n-1)!!/(2x^2)^n.
  return (1.0 - one_minus_scaled_erfcx_series(x)) / (x * kSqrtPi);
}

double log_h(double z) {
  if (z > -1.0) {
    const double phi = std::exp(-0.5 * z * z) / std::sqrt(2.0 * M_PI);
    return std::log(phi + z * 0.5 * std::erfc(-z / kSqrt2));
  }
  const double x = -z / kSqrt2;
  const double w = x < 10.0 ? 1.0 - x * kSqrtPi * erfcx(x) : one_minus_scaled_erfcx_series(x);
  return -0.5 * z * z - kHalfLog2Pi + std::log(w);
}

double log_h_derivative(double z) {
  if (z > -1.0) return std::exp(log_normal_cdf(z) - log_h(z));
  // For z <= -1 both logs are about -z^2/2 and their difference cancels: take the ratio
  // Phi/h = sqrt(pi/2) erfcx(x) / w directly, with x and w as in log_h.
  const double x = -z / kSqrt2;
  const double w = x < 10.0 ? 1.0 - x * kSqrtPi * erfcx(x) : one_minus_scaled_erfcx_series(x);
  return std::sqrt(M_PI / 2.0) * erfcx(x) / w;
}

double expected_improvement(double mean, double sigma, double best) {
  const double z = (mean - best) / sigma;
  const double phi = std::exp(-0.5 * z * z) / std::sqrt(2.0 * M_PI);
  return sigma * (phi + z * 0.5 * std::erfc(-z / kSqrt2));
}

Acquisition::Acquisition(const GaussianProcess& gp, AcquisitionKind kind, double best, double beta)
    : gp_(gp), kind_(kind), best_(best), beta_(beta) {}

double Acquisition::from_moments(double mean, double variance) const {
  const double sigma = std::sqrt(variance);
  if (kind_ == AcquisitionKind::kUcb) return mean + beta_ * sigma;
  return std::log(sigma) + log_h((mean - best_) / sigma);
}

double Acquisition::value(const Eigen::VectorXd& x) const {
  const Prediction p = gp_.predict(x);
  return from_moments(p.mean, p.variance);
}

Eigen::VectorXd Acquisition::values(const Eigen::MatrixXd& xs) const {
  Eigen::VectorXd mean, variance;
  gp_.predict_batch(xs, &mean, &variance);
  Eigen::VectorXd out(xs.rows());
  for (Eigen::Index i = 0; i < xs.rows(); ++i) out(i) = from_moments(mean(i), variance(i));
  return out;
}

double Acquisition::value_and_gradient(const Eigen::VectorXd& x, Eigen::VectorXd* gradient) const {
  Eigen::VectorXd dmean, dvar;
  const Prediction p = gp_.predict_with_gradient(x, &dmean, &dvar);
  const double sigma = std::sqrt(p.variance);
  const Eigen::VectorXd dsigma = dvar / (2.0 * sigma);
  if (kind_ == AcquisitionKind::kUcb) {
    *gradient = dmean + beta_ * dsigma;
    return p.mean + beta_ * sigma;
  }
  const double z = (p.mean - best_) / sigma;
  const Eigen::VectorXd dz = dmean / sigma - z / sigma * dsigma;
  *gradient = dsigma / sigma + log_h_derivative(z) * dz;
  return std::log(sigma) + log_h(z);
}

}  // namespace lorahpo
