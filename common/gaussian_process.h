#pragma once

#include <random>

#include <Eigen/Dense>

#include "common/matern52_kernel.h"

namespace lorahpo {

/// The GP's hyperparameters, in log space: lengthscales (one per input dimension, ARD), signal
/// variance and noise variance, all in units of the standardized outputs.
struct GpHyperparameters {
  Eigen::VectorXd log_lengthscales;
  double log_signal_variance = 0.0;
  double log_noise_variance = -6.0;

  /// [log l_1..log l_d, log s2, log noise] and back.
  Eigen::VectorXd to_vector() const;
  static GpHyperparameters from_vector(const Eigen::VectorXd& theta);
};

/// Posterior of the latent function at one point, in the units of the observations.
struct Prediction {
  double mean = 0.0;
  double variance = 0.0;
};

enum class FitStatus {
  kOk,
  kNotPositiveDefinite,  ///< no jitter made the Gram matrix factorize: the previous state is kept
  kNoData,
};

struct GpFitOptions {
  int restarts = 2;           ///< random starts besides the current hyperparameters
  int max_evaluations = 150;  ///< per start, of the log posterior and its gradient
  int max_fit_points = 256;   ///< hyperparameters are fitted on a random subset beyond this
  /// Lower bound of the noise variance in the units of the observations (0: the default bound
  /// of 1e-9 in standardized units). Known measurement noise belongs here.
  double min_noise_variance = 0.0;
  /// Known noise variance of each observation, in the units of the observations, one per row of
  /// x (empty: none, every caller's default). Added to the diagonal of the Gram matrix as fixed
  /// heteroscedastic noise, K + diag(noise_variances) + sigma_n^2 I (Rasmussen & Williams 2006,
  /// sec. 2.2 with a per-point noise term; BoTorch's FixedNoiseGP, whose noise is not learned):
  /// the fit then learns the signal hyperparameters and sigma_n^2 only as noise beyond the given
  /// one.
  Eigen::VectorXd noise_variances;
};

/// Gaussian-process regression with a Matern-5/2 ARD kernel on standardized outputs
/// (Rasmussen & Williams 2006, Alg. 2.1). Hyperparameters are fitted by maximizing the log
/// marginal likelihood plus log priors (MAP), the priors being BoTorch's classic defaults:
/// lengthscale ~ Gamma(3, 6), signal variance ~ Gamma(2, 0.15), noise ~ Gamma(1.1, 0.05). Plain
/// maximum likelihood drives lengthscales to their bounds on a few dozen points; the priors keep
/// them where the data can inform them.
///
/// Every Cholesky is checked; on failure jitter grows (1e-10 .. 1e-4 of the signal variance)
/// and if none works the previous state is kept: no crash, no NaN.
class GaussianProcess {
 public:
  explicit GaussianProcess(int dim);

  int dim() const { return dim_; }
  int size() const { return static_cast<int>(y_.size()); }
  bool ready() const { return ready_; }

  /// Standardizes y, fits the hyperparameters (starting from the current ones and from
  /// `options.restarts` random draws) and conditions on (x, y). Rows of x are points. Throws
  /// std::invalid_argument when options.noise_variances is neither empty nor one finite,
  /// non-negative variance per row.
  FitStatus fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, std::mt19937_64& rng,
                const GpFitOptions& options = {});
  /// Conditions on (x, y) with the current hyperparameters and standardization (used for the
  /// constant liar's fantasies, which must not move the hyperparameters). noise_variances: as
  /// GpFitOptions::noise_variances, for these rows (empty: none).
  FitStatus condition(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                      const Eigen::VectorXd& noise_variances = Eigen::VectorXd());
  /// Standardizes y as fit() does and conditions on (x, y) with the current hyperparameters, no
  /// optimization: the state fit() leaves behind, rebuilt from its data and the hyperparameters
  /// it chose (a restored optimizer's GP). noise_variances: as GpFitOptions::noise_variances.
  FitStatus set_data(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                     const Eigen::VectorXd& noise_variances = Eigen::VectorXd());

  Prediction predict(const Eigen::VectorXd& x) const;
  /// Means and variances at the rows of xs (one triangular solve for all).
  void predict_batch(const Eigen::MatrixXd& xs, Eigen::VectorXd* mean,
                     Eigen::VectorXd* variance) const;
  /// Prediction and its gradient with respect to x.
  Prediction predict_with_gradient(const Eigen::VectorXd& x, Eigen::VectorXd* mean_gradient,
                                   Eigen::VectorXd* variance_gradient) const;

  /// The in-sample residuals of the posterior mean, each over its own sd under the model, at the
  /// conditioned points: with C = K + N the covariance of the observations (signal K; noise N, the
  /// fixed per-point noise, the learned one and any jitter, diagonal) and alpha = C^-1 y, the
  /// residual y - K alpha = N alpha has covariance N C^-1 N, whose diagonal is N_ii^2 [C^-1]_ii,
  /// less than N_ii by the posterior variance (a linear smoother's residual variance is shrunk by
  /// its leverage: Hastie & Tibshirani 1990, sec. 3.4-3.5). So z_i = alpha_i / sqrt([C^-1]_ii),
  /// standard normal when the model is right (about 68% within 1, 95% within 2), where the raw
  /// residual over the noise sd is not. The same z_i is the standardized leave-one-out residual
  /// with these hyperparameters (Rasmussen & Williams 2006, eqs. 5.10-5.12): (y_i - mu_-i) /
  /// sigma_-i, sigma_-i^2 = 1 / [C^-1]_ii counting the noise of y_i. Empty when not ready().
  Eigen::VectorXd standardized_residuals() const;

  const GpHyperparameters& hyperparameters() const { return hyper_; }
  void set_hyperparameters(const GpHyperparameters& hyper);

  /// Log marginal likelihood plus log priors of standardized outputs ys at the points x, and its
  /// gradient with respect to the log hyperparameters. -infinity when K does not factorize.
  /// fixed_noise: per-point noise variances in standardized units added to the diagonal (null:
  /// none); they are data, not hyperparameters, so the gradient has no term for them.
  static double log_posterior(const Eigen::MatrixXd& x, const Eigen::VectorXd& ys,
                              const GpHyperparameters& hyper, Eigen::VectorXd* gradient,
                              const Eigen::VectorXd* fixed_noise = nullptr);

  double output_mean() const { return y_mean_; }
  double output_scale() const { return y_scale_; }

 private:
  FitStatus factorize();
  /// Sets y_mean_ and y_scale_ from y and returns the standardized y.
  Eigen::VectorXd standardize(const Eigen::VectorXd& y);
  /// Sets fixed_noise_ from per-point noise variances in output units (empty: none), in the
  /// current standardized units.
  void set_fixed_noise(const Eigen::VectorXd& noise_variances);

  int dim_;
  GpHyperparameters hyper_;
  Matern52Kernel kernel_;
  Eigen::MatrixXd x_;
  Eigen::VectorXd y_;            ///< standardized
  Eigen::VectorXd fixed_noise_;  ///< per-point noise variances, standardized (empty: none)
  double y_mean_ = 0.0;
  double y_scale_ = 1.0;
  Eigen::LLT<Eigen::MatrixXd> llt_;
  Eigen::VectorXd alpha_;  ///< K^-1 y
  bool ready_ = false;
};

}  // namespace lorahpo
