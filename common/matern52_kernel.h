#pragma once

#include <Eigen/Dense>

namespace lorahpo {

/// ARD Matern-5/2 kernel (Rasmussen & Williams 2006, eq. 4.17):
///   k(x, y) = s2 (1 + sqrt(5) r + 5/3 r^2) exp(-sqrt(5) r),  r^2 = sum_i (x_i - y_i)^2 / l_i^2.
/// Twice differentiable: smooth enough for a gradient-based acquisition search, rough enough for
/// real objectives (Snoek et al. 2012 recommend it over the squared exponential for BO).
class Matern52Kernel {
 public:
  Matern52Kernel() = default;
  Matern52Kernel(Eigen::VectorXd lengthscales, double signal_variance);

  int dim() const { return static_cast<int>(lengthscales_.size()); }
  const Eigen::VectorXd& lengthscales() const { return lengthscales_; }
  double signal_variance() const { return signal_variance_; }

  double operator()(const Eigen::VectorXd& x, const Eigen::VectorXd& y) const;
  /// Gram matrix between the rows of A and the rows of B.
  Eigen::MatrixXd gram(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) const;
  /// dk(x, y)/dx: -(5/3) s2 (1 + sqrt(5) r) exp(-sqrt(5) r) (x - y) / l^2 (smooth at r = 0).
  Eigen::VectorXd gradient_x(const Eigen::VectorXd& x, const Eigen::VectorXd& y) const;
  /// dk/d(log l_i) = (5/3) s2 (1 + sqrt(5) r) exp(-sqrt(5) r) (x_i - y_i)^2 / l_i^2, i.e. the
  /// derivative with respect to the log lengthscales, for fitting hyperparameters in log space.
  Eigen::VectorXd gradient_log_lengthscales(const Eigen::VectorXd& x,
                                            const Eigen::VectorXd& y) const;

 private:
  Eigen::VectorXd lengthscales_;
  Eigen::VectorXd inverse_squared_;  ///< 1 / l_i^2
  double signal_variance_ = 1.0;
};

}  // namespace lorahpo
