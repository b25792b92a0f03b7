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

/// u -> 1 - (1 - u^a)^b, the Kumaraswamy CDF on [0, 1], a, b > 0: an input warp (Snoek, Swersky,
/// Zemel & Adams 2014, "Input Warping for Bayesian Optimization of Non-stationary Functions",
/// ICML), monotone, so a stationary kernel on the warped coordinate is a non-stationary one on the
/// original: where the warp is steep the function may change fast, where it is flat, slowly.
/// a = b = 1 is the identity. u is first clamped into [1e-7, 1 - 1e-7] (BoTorch's Warp keeps its
/// inputs as far from the ends), where the CDF's derivative is finite.
struct KumaraswamyWarp {
  double a = 1.0;
  double b = 1.0;
  double forward(double u) const;
};

/// A Kumaraswamy warp of the input coordinate `coordinate` (-1: none).
struct InputWarp {
  int coordinate = -1;
  KumaraswamyWarp warp;
};

/// One benchmark accuracy as a function of the unit-cube hyperparameters, fitted to measured runs:
/// a GP (Matern-5/2 ARD, MAP; common/gaussian_process.h) on logit-warped accuracies, each run's
/// lm_eval standard error being its fixed noise (heteroscedastic, R&W 2006 sec. 2.2 with
/// K + diag(se_i^2); BoTorch's FixedNoiseGP), carried into the warped space by the delta method,
/// var(z_i) = se_i^2 (dz/dy)^2 at y_i.
///
/// An input warp of one coordinate (InputWarp) may be given: the GP then sees that coordinate
/// through it, at fitting and at prediction; its parameters are the caller's (chosen offline).
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

  explicit AccuracyModel(int dim, InputWarp input_warp = {}) : gp_(dim), input_warp_(input_warp) {}

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
  const InputWarp& input_warp() const { return input_warp_; }
  /// Rows of x (unit-cube points) as the GP sees them: the input warp applied.
  Eigen::MatrixXd warp_inputs(const Eigen::MatrixXd& x) const;
  /// Accuracies as the GP sees them, before its standardization: logit-warped (z), each one's
  /// standard error carried into the warped space by the delta method as a noise variance. What
  /// fit() conditions on, with the warp it chose.
  struct WarpedOutputs {
    Eigen::VectorXd z;
    Eigen::VectorXd noise_variances;
  };
  WarpedOutputs warp_outputs(const Eigen::VectorXd& accuracy,
                             const Eigen::VectorXd& standard_error) const;
  const GaussianProcess& gp() const { return gp_; }

 private:
  GaussianProcess gp_;
  LogitWarp warp_;
  InputWarp input_warp_;
};

}  // namespace lorahpo
