#pragma once

#include <vector>

#include <Eigen/Dense>

#include "common/gaussian_process.h"

namespace lorahpo {

/// log h(z) with h(z) = phi(z) + z Phi(z), the expected improvement of a unit Gaussian over its
/// mean plus z. Stable for very negative z after Ament et al. 2023 ("Unexpected improvements to
/// expected improvement", eq. 9): for z <= -1,
///   log h(z) = -z^2/2 - log(2 pi)/2 + log(1 - |z| sqrt(pi/2) erfcx(|z|/sqrt(2))),
/// where the last term is taken from erfcx's asymptotic series for large |z| to avoid the
/// cancellation of 1 - (1 - 1/z^2 + ...). Finite down to z = -1e150.
double log_h(double z);
/// d log h / dz = Phi(z) / h(z), computed in log space.
double log_h_derivative(double z);
/// Scaled complementary error function exp(x^2) erfc(x), for x >= 0.
double erfcx(double x);

/// Naive EI = sigma h((mu - best)/sigma), for tests against the log form where it is finite.
double expected_improvement(double mean, double sigma, double best);

/// Which acquisition function ranks candidate points (maximized).
enum class AcquisitionKind { kLogEi, kUcb };

/// An acquisition function over a GP posterior, for a MAXIMIZED objective:
///   logEI(x) = log sigma(x) + log h((mu(x) - f_best) / sigma(x))      (Ament et al. 2023)
///   UCB(x)   = mu(x) + beta sigma(x)                                   (Srinivas et al. 2010)
///
/// Over several fantasy models (GPs conditioned on samples of the pending points' values), each
/// with its own incumbent max(best, fantasized values), the value is the average acquisition:
/// log of the mean EI for logEI, the mean for UCB. For EI this is the sequential-greedy
/// Monte-Carlo qEI (Snoek et al. 2012, "fantasies"; Wilson et al. 2018, "Maximizing acquisition
/// functions for Bayesian optimization"; BoTorch): E[max(f(x_1..x_k, x)) - best]^+ differs from
/// E_s[EI_s(x)] only by a term constant in x.
class Acquisition {
 public:
  Acquisition(const GaussianProcess& gp, AcquisitionKind kind, double best, double beta = 2.0);
  /// The average over fantasy models `gps`, the s-th with incumbent `bests[s]` (same sizes, not
  /// empty); the GPs must outlive the acquisition.
  Acquisition(std::vector<const GaussianProcess*> gps, std::vector<double> bests,
              AcquisitionKind kind, double beta = 2.0);
  double value(const Eigen::VectorXd& x) const;
  /// Value and gradient with respect to x.
  double value_and_gradient(const Eigen::VectorXd& x, Eigen::VectorXd* gradient) const;
  /// Values at the rows of xs.
  Eigen::VectorXd values(const Eigen::MatrixXd& xs) const;

 private:
  double from_moments(double mean, double variance, double best) const;
  /// Combines the per-model values (and gradients, when given) into the average.
  double combine(const std::vector<double>& values, const std::vector<Eigen::VectorXd>* gradients,
                 Eigen::VectorXd* gradient) const;
  std::vector<const GaussianProcess*> gps_;
  std::vector<double> bests_;
  AcquisitionKind kind_;
  double beta_;
};

}  // namespace lorahpo
