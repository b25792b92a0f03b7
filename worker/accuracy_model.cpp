#include "worker/accuracy_model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace lorahpo {
namespace {

/// A warped coordinate is kept this far from 0 and 1 (BoTorch's Warp's eps).
constexpr double kWarpMargin = 1e-7;

/// The logit's argument is kept this far from 0 and 1 (a value on a bound would be infinite).
constexpr double kClampShare = 1e-6;

double median(Eigen::VectorXd v) {
  std::vector<double> values(v.data(), v.data() + v.size());
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

}  // namespace

double KumaraswamyWarp::forward(double u) const {
  const double v = std::clamp(u, kWarpMargin, 1.0 - kWarpMargin);
  // -expm1(b log1p(-u^a)): 1 - (1 - u^a)^b without the cancellation that rounds it to 0 where
  // u^a is below the machine epsilon (u < 0.05 at a = e^2.5), so the warp stays strictly monotone.
  return -std::expm1(b * std::log1p(-std::pow(v, a)));
}

double LogitWarp::forward(double y) const {
  const double p = std::clamp((y - low) / (high - low), kClampShare, 1.0 - kClampShare);
  return std::log(p / (1.0 - p));
}

double LogitWarp::inverse(double z) const {
  return low + (high - low) / (1.0 + std::exp(-z));
}

double LogitWarp::slope(double y) const {
  const double p = std::clamp((y - low) / (high - low), kClampShare, 1.0 - kClampShare);
  return 1.0 / ((high - low) * p * (1.0 - p));
}

void AccuracyModel::fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& accuracy,
                        const Eigen::VectorXd& standard_error, double chance,
                        std::mt19937_64& rng) {
  if (accuracy.size() == 0 || accuracy.size() != x.rows() ||
      standard_error.size() != accuracy.size()) {
    throw std::invalid_argument("AccuracyModel: one accuracy and one standard error per point");
  }
  const double se = median(standard_error);
  warp_ = LogitWarp{std::min(chance, accuracy.minCoeff()) - kFloorStandardErrors * se,
                    accuracy.maxCoeff() + kCeilingStandardErrors * se};
  WarpedOutputs warped = warp_outputs(accuracy, standard_error);
  GpFitOptions options;
  options.restarts = 3;
  options.max_evaluations = 200;
  options.noise_variances = std::move(warped.noise_variances);
  gp_.fit(warp_inputs(x), warped.z, rng, options);
}

AccuracyModel::WarpedOutputs AccuracyModel::warp_outputs(
    const Eigen::VectorXd& accuracy, const Eigen::VectorXd& standard_error) const {
  WarpedOutputs warped{Eigen::VectorXd(accuracy.size()), Eigen::VectorXd(accuracy.size())};
  for (Eigen::Index i = 0; i < accuracy.size(); ++i) {
    warped.z(i) = warp_.forward(accuracy(i));
    const double sd = standard_error(i) * warp_.slope(accuracy(i));
    warped.noise_variances(i) = sd * sd;
  }
  return warped;
}

Eigen::MatrixXd AccuracyModel::warp_inputs(const Eigen::MatrixXd& x) const {
  Eigen::MatrixXd warped = x;
  const int k = input_warp_.coordinate;
  if (k >= 0 && k < x.cols()) {
    for (Eigen::Index i = 0; i < x.rows(); ++i) warped(i, k) = input_warp_.warp.forward(x(i, k));
  }
  return warped;
}

AccuracyModel::Estimate AccuracyModel::predict(const Eigen::VectorXd& unit) const {
  const Prediction p = gp_.predict(warp_inputs(unit.transpose()).transpose());
  const double sd = std::sqrt(p.variance);
  Estimate e;
  e.mean = warp_.inverse(p.mean);
  e.sd = 0.5 * (warp_.inverse(p.mean + sd) - warp_.inverse(p.mean - sd));
  return e;
}

}  // namespace lorahpo
