#include "common/gaussian_process.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include <nlopt.hpp>

namespace lorahpo {
namespace {

const double kSqrt5 = std::sqrt(5.0);
constexpr double kLog2Pi = 1.8378770664093453;

// Box bounds of the log hyperparameters: lengthscales in [1e-3, 1e2] on the unit cube, signal
// variance in [1e-2, 1e2] and noise in [1e-9, 1] on standardized outputs.
constexpr double kMinLogLengthscale = -6.907755278982137;
constexpr double kMaxLogLengthscale = 4.605170185988092;
constexpr double kMinLogSignal = -4.605170185988091;
constexpr double kMaxLogSignal = 4.605170185988092;
constexpr double kMinLogNoise = -20.72326583694641;
constexpr double kMaxLogNoise = 0.0;

/// log Gamma(a, rate b) density at v = exp(log_v), without the constant, and its derivative with
/// respect to log v. Evaluated at the value, not the log (as GPyTorch does).
struct GammaPrior {
  double a;
  double b;
  double log_density(double log_v) const { return (a - 1.0) * log_v - b * std::exp(log_v); }
  double derivative(double log_v) const { return (a - 1.0) - b * std::exp(log_v); }
};
constexpr GammaPrior kLengthscalePrior{3.0, 6.0};
constexpr GammaPrior kSignalPrior{2.0, 0.15};
constexpr GammaPrior kNoisePrior{1.1, 0.05};

constexpr double kJitters[] = {0.0, 1e-10, 1e-8, 1e-6, 1e-4};

/// Per-point noise variances must be absent or one finite, non-negative variance per
/// observation.
void check_noise_variances(const Eigen::VectorXd& noise_variances, Eigen::Index n) {
  if (noise_variances.size() == 0) return;
  if (noise_variances.size() != n) {
    throw std::invalid_argument("GaussianProcess: " + std::to_string(noise_variances.size()) +
                                " noise variances for " + std::to_string(n) + " observations");
  }
  if (!noise_variances.allFinite() || noise_variances.minCoeff() < 0.0) {
    throw std::invalid_argument("GaussianProcess: noise variances must be finite and >= 0");
  }
}

}  // namespace

Eigen::VectorXd GpHyperparameters::to_vector() const {
  Eigen::VectorXd theta(log_lengthscales.size() + 2);
  theta << log_lengthscales, log_signal_variance, log_noise_variance;
  return theta;
}

GpHyperparameters GpHyperparameters::from_vector(const Eigen::VectorXd& theta) {
  GpHyperparameters h;
  const auto d = theta.size() - 2;
  h.log_lengthscales = theta.head(d);
  h.log_signal_variance = theta(d);
  h.log_noise_variance = theta(d + 1);
  return h;
}

GaussianProcess::GaussianProcess(int dim) : dim_(dim) {
  // Start at the lengthscale prior's mode, (3 - 1) / 6, unit signal, small noise.
  hyper_.log_lengthscales = Eigen::VectorXd::Constant(dim, std::log(1.0 / 3.0));
  hyper_.log_signal_variance = 0.0;
  hyper_.log_noise_variance = std::log(1e-4);
  kernel_ = Matern52Kernel(hyper_.log_lengthscales.array().exp(), 1.0);
  // Eigen leaves an uncomputed LLT's status uninitialized, and copying or moving the GP reads
  // it (UBSan flags the load): start from a computed, trivial factorization.
  llt_.compute(Eigen::MatrixXd::Identity(1, 1));
}

void GaussianProcess::set_hyperparameters(const GpHyperparameters& hyper) {
  hyper_ = hyper;
  kernel_ =
      Matern52Kernel(hyper_.log_lengthscales.array().exp(), std::exp(hyper_.log_signal_variance));
  if (size() > 0) factorize();
}

double GaussianProcess::log_posterior(const Eigen::MatrixXd& x, const Eigen::VectorXd& ys,
                                      const GpHyperparameters& hyper, Eigen::VectorXd* gradient,
                                      const Eigen::VectorXd* fixed_noise) {
  const auto n = x.rows();
  const auto d = x.cols();
  const Eigen::ArrayXd inv_l2 = (-2.0 * hyper.log_lengthscales.array()).exp();
  const double s2 = std::exp(hyper.log_signal_variance);
  const double noise = std::exp(hyper.log_noise_variance);

  // r^2 and the kernel; per-dimension scaled squared distances are kept for the gradient.
  std::vector<Eigen::MatrixXd> scaled(static_cast<std::size_t>(d), Eigen::MatrixXd(n, n));
  Eigen::MatrixXd r2 = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index k = 0; k < d; ++k) {
    auto& s = scaled[static_cast<std::size_t>(k)];
    for (Eigen::Index j = 0; j < n; ++j) {
      for (Eigen::Index i = 0; i < n; ++i) {
        const double diff = x(i, k) - x(j, k);
        s(i, j) = diff * diff * inv_l2(k);
      }
    }
    r2 += s;
  }
  const Eigen::ArrayXXd r = r2.array().sqrt();
  const Eigen::ArrayXXd e = (-kSqrt5 * r).exp();
  const Eigen::MatrixXd kf = (s2 * (1.0 + kSqrt5 * r + 5.0 / 3.0 * r.square()) * e).matrix();

  Eigen::LLT<Eigen::MatrixXd> llt;
  bool ok = false;
  double jitter_used = 0.0;
  for (double jitter : kJitters) {
    Eigen::MatrixXd k = kf;
    k.diagonal().array() += noise + jitter * s2;
    if (fixed_noise) k.diagonal() += *fixed_noise;
    llt.compute(k);
    if (llt.info() == Eigen::Success) {
      ok = true;
      jitter_used = jitter;
      break;
    }
  }
  if (!ok) {
    if (gradient) gradient->setZero(d + 2);
    return -std::numeric_limits<double>::infinity();
  }
  (void)jitter_used;
  const Eigen::VectorXd alpha = llt.solve(ys);
  const double log_det = 2.0 * llt.matrixL().toDenseMatrix().diagonal().array().log().sum();
  double value = -0.5 * ys.dot(alpha) - 0.5 * log_det - 0.5 * static_cast<double>(n) * kLog2Pi;
  for (Eigen::Index k = 0; k < d; ++k)
    value += kLengthscalePrior.log_density(hyper.log_lengthscales(k));
  value += kSignalPrior.log_density(hyper.log_signal_variance);
  value += kNoisePrior.log_density(hyper.log_noise_variance);

  if (gradient) {
    // d/dtheta = 1/2 tr((alpha alpha^T - K^-1) dK/dtheta)  (Rasmussen & Williams eq. 5.9).
    const Eigen::MatrixXd w =
        alpha * alpha.transpose() - llt.solve(Eigen::MatrixXd::Identity(n, n));
    const Eigen::MatrixXd common = (5.0 / 3.0 * s2 * (1.0 + kSqrt5 * r) * e).matrix();
    gradient->resize(d + 2);
    for (Eigen::Index k = 0; k < d; ++k) {
      const double g =
          0.5 * (w.array() * common.array() * scaled[static_cast<std::size_t>(k)].array()).sum();
      (*gradient)(k) = g + kLengthscalePrior.derivative(hyper.log_lengthscales(k));
    }
    (*gradient)(d) =
        0.5 * (w.array() * kf.array()).sum() + kSignalPrior.derivative(hyper.log_signal_variance);
    (*gradient)(d + 1) = 0.5 * noise * w.trace() + kNoisePrior.derivative(hyper.log_noise_variance);
  }
  return value;
}

namespace {

/// The points the hyperparameters are fitted on: all of them, or beyond max_fit_points a random
/// subset (O(m^3) per likelihood evaluation instead of O(n^3); the posterior still conditions on
/// every point).
struct FitData {
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
  Eigen::VectorXd fixed_noise;  ///< standardized; empty: none
};
FitData fit_subset(const Eigen::MatrixXd& x, const Eigen::VectorXd& ys,
                   const Eigen::VectorXd& fixed_noise, int max_fit_points, std::mt19937_64& rng) {
  FitData data{x, ys, fixed_noise};
  if (max_fit_points <= 0 || x.rows() <= max_fit_points) return data;
  std::vector<Eigen::Index> order(static_cast<std::size_t>(x.rows()));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  data.x.resize(max_fit_points, x.cols());
  data.y.resize(max_fit_points);
  if (fixed_noise.size() > 0) data.fixed_noise.resize(max_fit_points);
  for (int i = 0; i < max_fit_points; ++i) {
    data.x.row(i) = x.row(order[static_cast<std::size_t>(i)]);
    data.y(i) = ys(order[static_cast<std::size_t>(i)]);
    if (fixed_noise.size() > 0)
      data.fixed_noise(i) = fixed_noise(order[static_cast<std::size_t>(i)]);
  }
  return data;
}

/// Box bounds of the log hyperparameters (lengthscales, signal variance, noise variance); a
/// noise floor given in output units becomes a lower bound in standardized units.
struct HyperBounds {
  std::vector<double> lower;
  std::vector<double> upper;
};
HyperBounds hyper_bounds(int dim, double min_noise_variance, double y_scale) {
  const auto p = static_cast<std::size_t>(dim + 2);
  HyperBounds b{std::vector<double>(p), std::vector<double>(p)};
  for (std::size_t k = 0; k + 2 < p; ++k) {
    b.lower[k] = kMinLogLengthscale;
    b.upper[k] = kMaxLogLengthscale;
  }
  b.lower[p - 2] = kMinLogSignal;
  b.upper[p - 2] = kMaxLogSignal;
  b.lower[p - 1] = kMinLogNoise;
  if (min_noise_variance > 0.0) {
    b.lower[p - 1] = std::clamp(std::log(min_noise_variance / (y_scale * y_scale)), kMinLogNoise,
                                kMaxLogNoise - 1.0);
  }
  b.upper[p - 1] = kMaxLogNoise;
  return b;
}

/// The current hyperparameters, then `restarts` random ones drawn log-uniformly from plausible
/// ranges for standardized outputs on the unit cube.
std::vector<Eigen::VectorXd> fit_starts(const Eigen::VectorXd& current, int dim, int restarts,
                                        std::mt19937_64& rng) {
  std::vector<Eigen::VectorXd> starts = {current};
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const Eigen::Index p = dim + 2;
  for (int s = 0; s < restarts; ++s) {
    Eigen::VectorXd theta(p);
    for (int k = 0; k < dim; ++k) {
      theta(k) = std::log(0.05) + uniform(rng) * (std::log(2.0) - std::log(0.05));
    }
    theta(p - 2) = std::log(0.3) + uniform(rng) * (std::log(3.0) - std::log(0.3));
    theta(p - 1) = std::log(1e-6) + uniform(rng) * (std::log(1e-1) - std::log(1e-6));
    starts.push_back(theta);
  }
  return starts;
}

/// NLopt's objective: the log posterior and its gradient; a point where K does not factorize
/// is the worst value with a zero gradient, so L-BFGS backs off.
double nlopt_log_posterior(const std::vector<double>& theta, std::vector<double>& grad, void* raw) {
  const auto* data = static_cast<const FitData*>(raw);
  const Eigen::Map<const Eigen::VectorXd> t(theta.data(), static_cast<Eigen::Index>(theta.size()));
  Eigen::VectorXd g;
  const double value = GaussianProcess::log_posterior(
      data->x, data->y, GpHyperparameters::from_vector(t), grad.empty() ? nullptr : &g,
      data->fixed_noise.size() > 0 ? &data->fixed_noise : nullptr);
  if (!std::isfinite(value)) {
    std::fill(grad.begin(), grad.end(), 0.0);
    return -1e300;
  }
  for (std::size_t i = 0; i < grad.size(); ++i) grad[i] = g(static_cast<Eigen::Index>(i));
  return value;
}

/// Maximizes the log posterior with L-BFGS from every start within the bounds; the best finite
/// optimum, or `fallback` when none is.
Eigen::VectorXd maximize_log_posterior(FitData& data, const std::vector<Eigen::VectorXd>& starts,
                                       const HyperBounds& bounds, int max_evaluations,
                                       const Eigen::VectorXd& fallback) {
  const auto p = static_cast<unsigned>(bounds.lower.size());
  Eigen::VectorXd best_theta = fallback;
  double best_value = -std::numeric_limits<double>::infinity();
  for (const Eigen::VectorXd& start : starts) {
    std::vector<double> theta(start.data(), start.data() + start.size());
    for (std::size_t i = 0; i < p; ++i) {
      theta[i] = std::clamp(theta[i], bounds.lower[i], bounds.upper[i]);
    }
    nlopt::opt opt(nlopt::LD_LBFGS, p);
    opt.set_lower_bounds(bounds.lower);
    opt.set_upper_bounds(bounds.upper);
    opt.set_max_objective(nlopt_log_posterior, &data);
    opt.set_maxeval(max_evaluations);
    opt.set_ftol_rel(1e-8);
    double value = -std::numeric_limits<double>::infinity();
    try {
      opt.optimize(theta, value);
    } catch (const std::exception&) {
      // NLopt throws on round-off limits; theta then holds its last point, still usable.
      std::vector<double> unused;
      value = nlopt_log_posterior(theta, unused, &data);
    }
    if (std::isfinite(value) && value > best_value) {
      best_value = value;
      best_theta = Eigen::Map<Eigen::VectorXd>(theta.data(), static_cast<Eigen::Index>(p));
    }
  }
  return best_theta;
}

}  // namespace

FitStatus GaussianProcess::fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                               std::mt19937_64& rng, const GpFitOptions& options) {
  if (y.size() == 0) return FitStatus::kNoData;
  check_noise_variances(options.noise_variances, y.size());
  const Eigen::VectorXd ys = standardize(y);
  set_fixed_noise(options.noise_variances);

  FitData data = fit_subset(x, ys, fixed_noise_, options.max_fit_points, rng);
  const HyperBounds bounds = hyper_bounds(dim_, options.min_noise_variance, y_scale_);
  const std::vector<Eigen::VectorXd> starts =
      fit_starts(hyper_.to_vector(), dim_, options.restarts, rng);
  const Eigen::VectorXd best_theta =
      maximize_log_posterior(data, starts, bounds, options.max_evaluations, hyper_.to_vector());

  const GpHyperparameters previous = hyper_;
  hyper_ = GpHyperparameters::from_vector(best_theta);
  kernel_ =
      Matern52Kernel(hyper_.log_lengthscales.array().exp(), std::exp(hyper_.log_signal_variance));
  x_ = x;
  y_ = ys;
  FitStatus status = factorize();
  if (status != FitStatus::kOk) {
    hyper_ = previous;  // fall back to the last good hyperparameters
    kernel_ =
        Matern52Kernel(hyper_.log_lengthscales.array().exp(), std::exp(hyper_.log_signal_variance));
    status = factorize();
  }
  return status;
}

Eigen::VectorXd GaussianProcess::standardize(const Eigen::VectorXd& y) {
  y_mean_ = y.mean();
  const double variance =
      y.size() > 1 ? (y.array() - y_mean_).square().sum() / static_cast<double>(y.size() - 1) : 0.0;
  y_scale_ = variance > 1e-24 ? std::sqrt(variance) : 1.0;
  return (y.array() - y_mean_) / y_scale_;
}

void GaussianProcess::set_fixed_noise(const Eigen::VectorXd& noise_variances) {
  if (noise_variances.size() == 0) {
    fixed_noise_.resize(0);
  } else {
    fixed_noise_ = noise_variances / (y_scale_ * y_scale_);
  }
}

FitStatus GaussianProcess::set_data(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                    const Eigen::VectorXd& noise_variances) {
  if (y.size() == 0) return FitStatus::kNoData;
  check_noise_variances(noise_variances, y.size());
  y_ = standardize(y);
  set_fixed_noise(noise_variances);
  x_ = x;
  return factorize();
}

FitStatus GaussianProcess::condition(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                     const Eigen::VectorXd& noise_variances) {
  if (y.size() == 0) return FitStatus::kNoData;
  check_noise_variances(noise_variances, y.size());
  set_fixed_noise(noise_variances);
  x_ = x;
  y_ = (y.array() - y_mean_) / y_scale_;
  return factorize();
}

FitStatus GaussianProcess::factorize() {
  const Eigen::MatrixXd kf = kernel_.gram(x_, x_);
  const double s2 = kernel_.signal_variance();
  const double noise = std::exp(hyper_.log_noise_variance);
  for (double jitter : kJitters) {
    Eigen::MatrixXd k = kf;
    k.diagonal().array() += noise + jitter * s2;
    if (fixed_noise_.size() > 0) k.diagonal() += fixed_noise_;
    llt_.compute(k);
    if (llt_.info() == Eigen::Success) {
      alpha_ = llt_.solve(y_);
      ready_ = alpha_.allFinite();
      if (ready_) return FitStatus::kOk;
    }
  }
  ready_ = false;
  return FitStatus::kNotPositiveDefinite;
}

Prediction GaussianProcess::predict(const Eigen::VectorXd& x) const {
  Eigen::VectorXd mean, variance;
  predict_batch(x.transpose(), &mean, &variance);
  return {mean(0), variance(0)};
}

void GaussianProcess::predict_batch(const Eigen::MatrixXd& xs, Eigen::VectorXd* mean,
                                    Eigen::VectorXd* variance) const {
  const double s2 = kernel_.signal_variance();
  if (!ready_) {
    *mean = Eigen::VectorXd::Constant(xs.rows(), y_mean_);
    *variance = Eigen::VectorXd::Constant(xs.rows(), s2 * y_scale_ * y_scale_);
    return;
  }
  const Eigen::MatrixXd k_star = kernel_.gram(x_, xs);  // n x m
  *mean = ((k_star.transpose() * alpha_).array() * y_scale_ + y_mean_).matrix();
  const Eigen::MatrixXd v = llt_.matrixL().solve(k_star);
  // Variances are clamped at a tiny positive floor: round-off may make s2 - |v|^2 negative.
  *variance =
      ((s2 - v.colwise().squaredNorm().transpose().array()).max(1e-12 * s2) * y_scale_ * y_scale_)
          .matrix();
}

Eigen::VectorXd GaussianProcess::standardized_residuals() const {
  if (!ready_) return Eigen::VectorXd();
  // [C^-1]_ii = |L^-1 e_i|^2 with C = L L^T: the squared norms of L^-1's columns.
  const Eigen::MatrixXd l_inverse =
      llt_.matrixL().solve(Eigen::MatrixXd::Identity(y_.size(), y_.size()));
  return (alpha_.array() / l_inverse.colwise().squaredNorm().transpose().array().sqrt()).matrix();
}

Prediction GaussianProcess::predict_with_gradient(const Eigen::VectorXd& x,
                                                  Eigen::VectorXd* mean_gradient,
                                                  Eigen::VectorXd* variance_gradient) const {
  const double s2 = kernel_.signal_variance();
  if (!ready_) {
    mean_gradient->setZero(dim_);
    variance_gradient->setZero(dim_);
    return {y_mean_, s2 * y_scale_ * y_scale_};
  }
  const auto n = x_.rows();
  Eigen::VectorXd k_star(n);
  Eigen::MatrixXd dk(n, dim_);  // row i: dk(x, x_i)/dx
  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::VectorXd xi = x_.row(i).transpose();
    k_star(i) = kernel_(x, xi);
    dk.row(i) = kernel_.gradient_x(x, xi).transpose();
  }
  const Eigen::VectorXd kinv_k = llt_.solve(k_star);
  const double raw_variance = s2 - k_star.dot(kinv_k);
  Prediction p;
  p.mean = k_star.dot(alpha_) * y_scale_ + y_mean_;
  *mean_gradient = dk.transpose() * alpha_ * y_scale_;
  if (raw_variance <= 1e-12 * s2) {
    p.variance = 1e-12 * s2 * y_scale_ * y_scale_;
    variance_gradient->setZero(dim_);
  } else {
    p.variance = raw_variance * y_scale_ * y_scale_;
    *variance_gradient = -2.0 * dk.transpose() * kinv_k * y_scale_ * y_scale_;
  }
  return p;
}

}  // namespace lorahpo
