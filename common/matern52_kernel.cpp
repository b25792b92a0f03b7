#include "common/matern52_kernel.h"

#include <cmath>

namespace lorahpo {
namespace {

const double kSqrt5 = std::sqrt(5.0);

}  // namespace

Matern52Kernel::Matern52Kernel(Eigen::VectorXd lengthscales, double signal_variance)
    : lengthscales_(std::move(lengthscales)), signal_variance_(signal_variance) {
  inverse_squared_ = lengthscales_.array().square().inverse().matrix();
}

double Matern52Kernel::operator()(const Eigen::VectorXd& x, const Eigen::VectorXd& y) const {
  const double r2 = ((x - y).array().square() * inverse_squared_.array()).sum();
  const double r = std::sqrt(r2);
  return signal_variance_ * (1.0 + kSqrt5 * r + 5.0 / 3.0 * r2) * std::exp(-kSqrt5 * r);
}

Eigen::MatrixXd Matern52Kernel::gram(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) const {
  // Scaled coordinates turn r^2 into a plain squared distance: |a|^2 + |b|^2 - 2 a.b.
  const Eigen::ArrayXd scale = inverse_squared_.array().sqrt();
  const Eigen::MatrixXd as = a.array().rowwise() * scale.transpose();
  const Eigen::MatrixXd bs = b.array().rowwise() * scale.transpose();
  Eigen::MatrixXd r2 = (-2.0 * as * bs.transpose()).eval();
  r2.colwise() += as.rowwise().squaredNorm();
  r2.rowwise() += bs.rowwise().squaredNorm().transpose();
  const Eigen::ArrayXXd r = r2.array().max(0.0).sqrt();
  return (signal_variance_ * (1.0 + kSqrt5 * r + 5.0 / 3.0 * r.square()) * (-kSqrt5 * r).exp())
      .matrix();
}

Eigen::VectorXd Matern52Kernel::gradient_x(const Eigen::VectorXd& x,
                                           const Eigen::VectorXd& y) const {
  const Eigen::ArrayXd d = (x - y).array();
  const double r = std::sqrt((d.square() * inverse_squared_.array()).sum());
  const double factor = -5.0 / 3.0 * signal_variance_ * (1.0 + kSqrt5 * r) * std::exp(-kSqrt5 * r);
  return (factor * d * inverse_squared_.array()).matrix();
}

Eigen::VectorXd Matern52Kernel::gradient_log_lengthscales(const Eigen::VectorXd& x,
                                                          const Eigen::VectorXd& y) const {
  const Eigen::ArrayXd scaled = (x - y).array().square() * inverse_squared_.array();
  const double r = std::sqrt(scaled.sum());
  const double factor = 5.0 / 3.0 * signal_variance_ * (1.0 + kSqrt5 * r) * std::exp(-kSqrt5 * r);
  return (factor * scaled).matrix();
}

}  // namespace lorahpo
