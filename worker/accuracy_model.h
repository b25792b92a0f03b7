#pragma once

#include <random>

#include <Eigen/Dense>

#include "common/gaussian_process.h"

namespace lorahpo {

/// z = logit((y - low) / (high - low)) and back: a warped GP (Snelson, Rasmussen & Ghahramani
/// 2004) whose predictions map back through the logistic function and stay within (low, high).
struct LogitWarp {
  double low = 0.0;
  double high = 1.0;
  double forward(double y) const;
  double inverse(double z) const;
  /// dz/dy = (high - low) / ((y - low) (high - y)): the delta method's factor that turns a
  /// standard error of y into one of z.
  double slope(double y) const;
};

/// One benchmark accuracy as a function of the unit-cube hyperparameters, fitted to measured runs:
/// a GP (Matern-5/2 ARD, MAP; common/gaussian_process.h) on logit-warped accuracies, each run's
/// lm_eval standard error being its fixed noise (heteroscedastic, R&W 2006 sec. 2.2 with
/// K + diag(se_i^2); BoTorch's FixedNoiseGP), carried into the warped space by the delta method,
/// var(z_i) = se_i^2 (dz/dy)^2 at y_i.
///
/// The warp's bounds: the floor lies 2 median standard errors under chance (or under the lowest
/// run, where one scored below chance), so a diverged run is not at the edge of the warp; the
/// ceiling 5 median standard errors above the best run, so the best run is not pinned to the
/// top (the old bounds, 1 standard error beyond the extremes, capped every prediction there) while
/// an extrapolation cannot wander to accuracies no run approached (with a ceiling of 1, HellaSwag
/// acc_norm predictions reached 0.92 where the best run scored 0.7385; with best + 5 se, 0.755).
class AccuracyModel {
 public:
  /// Floor below chance and ceiling above the best run, in median standard errors.
  static constexpr double kFloorStandardErrors = 2.0;
  static constexpr double kCeilingStandardErrors = 5.0;

  explicit AccuracyModel(int dim) : gp_(dim) {}

  /// Rows of x: points in the unit cube; accuracy and standard_error: one per row; chance: the
  /// accuracy of guessing. Deterministic for a given rng state.
  void fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& accuracy,
           const Eigen::VectorXd& standard_error, double chance, std::mt19937_64& rng);

  struct Estimate {
    double mean = 0.0;  ///< the warped GP's median, back in accuracy units
    double sd = 0.0;    ///< half the spread between its 16% and 84% quantiles
  };
  Estimate predict(const Eigen::VectorXd& unit) const;

  const LogitWarp& warp() const { return warp_; }
  const GaussianProcess& gp() const { return gp_; }

 private:
  GaussianProcess gp_;
  LogitWarp warp_;
};

}  // namespace lorahpo
