#include "master/optimizers/bo/acquisition.h"

#include <algorithm>
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
    : gps_{&gp}, bests_{best}, kind_(kind), beta_(beta) {}

Acquisition::Acquisition(std::vector<const GaussianProcess*> gps, std::vector<double> bests,
                         AcquisitionKind kind, double beta)
    : gps_(std::move(gps)), bests_(std::move(bests)), kind_(kind), beta_(beta) {}

double Acquisition::from_moments(double mean, double variance, double best) const {
  const double sigma = std::sqrt(variance);
  if (kind_ == AcquisitionKind::kUcb) return mean + beta_ * sigma;
  return std::log(sigma) + log_h((mean - best) / sigma);
}

double Acquisition::combine(const std::vector<double>& values,
                            const std::vector<Eigen::VectorXd>* gradients,
                            Eigen::VectorXd* gradient) const {
  const std::size_t s = values.size();
  if (s == 1) {
    if (gradient) *gradient = (*gradients)[0];
    return values[0];
  }
  std::vector<double> weights(s, 1.0 / static_cast<double>(s));
  double out = 0.0;
  if (kind_ == AcquisitionKind::kUcb) {
    for (double v : values) out += v / static_cast<double>(s);
  } else {
    // log mean exp, and the softmax weights of the gradients.
    const double top = *std::max_element(values.begin(), values.end());
    if (!std::isfinite(top)) return top;
    double sum = 0.0;
    for (std::size_t k = 0; k < s; ++k) {
      weights[k] = std::exp(values[k] - top);
      sum += weights[k];
    }
    for (double& w : weights) w /= sum;
    out = top + std::log(sum / static_cast<double>(s));
  }
  if (gradient) {
    *gradient = Eigen::VectorXd::Zero((*gradients)[0].size());
    for (std::size_t k = 0; k < s; ++k) {
      if (weights[k] > 0.0) *gradient += weights[k] * (*gradients)[k];
    }
  }
  return out;
}

double Acquisition::value(const Eigen::VectorXd& x) const {
  std::vector<double> values;
  for (std::size_t k = 0; k < gps_.size(); ++k) {
    const Prediction p = gps_[k]->predict(x);
    values.push_back(from_moments(p.mean, p.variance, bests_[k]));
  }
  return combine(values, nullptr, nullptr);
}

Eigen::VectorXd Acquisition::values(const Eigen::MatrixXd& xs) const {
  std::vector<Eigen::VectorXd> per_model;
  for (std::size_t k = 0; k < gps_.size(); ++k) {
    Eigen::VectorXd mean, variance;
    gps_[k]->predict_batch(xs, &mean, &variance);
    Eigen::VectorXd v(xs.rows());
    for (Eigen::Index i = 0; i < xs.rows(); ++i)
      v(i) = from_moments(mean(i), variance(i), bests_[k]);
    per_model.push_back(std::move(v));
  }
  if (per_model.size() == 1) return per_model[0];
  Eigen::VectorXd out(xs.rows());
  std::vector<double> values(per_model.size());
  for (Eigen::Index i = 0; i < xs.rows(); ++i) {
    for (std::size_t k = 0; k < per_model.size(); ++k) values[k] = per_model[k](i);
    out(i) = combine(values, nullptr, nullptr);
  }
  return out;
}

double Acquisition::value_and_gradient(const Eigen::VectorXd& x, Eigen::VectorXd* gradient) const {
  std::vector<double> values;
  std::vector<Eigen::VectorXd> gradients;
  for (std::size_t k = 0; k < gps_.size(); ++k) {
    Eigen::VectorXd dmean, dvar;
    const Prediction p = gps_[k]->predict_with_gradient(x, &dmean, &dvar);
    const double sigma = std::sqrt(p.variance);
    const Eigen::VectorXd dsigma = dvar / (2.0 * sigma);
    if (kind_ == AcquisitionKind::kUcb) {
      gradients.push_back(dmean + beta_ * dsigma);
      values.push_back(p.mean + beta_ * sigma);
      continue;
    }
    const double z = (p.mean - bests_[k]) / sigma;
    const Eigen::VectorXd dz = dmean / sigma - z / sigma * dsigma;
    gradients.push_back(dsigma / sigma + log_h_derivative(z) * dz);
    values.push_back(std::log(sigma) + log_h(z));
  }
  return combine(values, &gradients, gradient);
}

}  // namespace lorahpo
