#include "worker/lora_surrogate.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "worker/lora_runs.h"

namespace lorahpo {
namespace {

constexpr double kMeasurementSd = 0.005;

LogitWarp warp_for(const Eigen::VectorXd& y) {
  return LogitWarp{y.minCoeff() - kMeasurementSd, y.maxCoeff() + kMeasurementSd};
}

}  // namespace

double LogitWarp::forward(double y) const {
  const double p = std::clamp((y - low) / (high - low), 1e-6, 1.0 - 1e-6);
  return std::log(p / (1.0 - p));
}

double LogitWarp::inverse(double z) const {
  return low + (high - low) / (1.0 + std::exp(-z));
}

LoraSurrogate::LoraSurrogate() : space_(seed_lora_search_space()), hellaswag_(5), mmlu_(5) {
  const auto& runs = lora_runs();
  const auto n = static_cast<Eigen::Index>(runs.size());
  Eigen::MatrixXd x(n, 5);
  Eigen::VectorXd hellaswag(n), mmlu(n);
  double sr = 0, sm = 0, srr = 0, srm = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const LoraRun& run = runs[static_cast<std::size_t>(i)];
    const auto unit = space_.to_unit(lora_run_values(run));
    for (Eigen::Index k = 0; k < 5; ++k) x(i, k) = unit[static_cast<std::size_t>(k)];
    hellaswag(i) = run.hellaswag_acc;
    mmlu(i) = run.mmlu_acc;
    best_real_score_ = std::max(best_real_score_, run.hellaswag_acc);
    const double r = static_cast<double>(run.lora_r);
    sr += r;
    sm += run.minutes;
    srr += r * r;
    srm += r * run.minutes;
  }
  const double count = static_cast<double>(n);
  minutes_slope_ = (count * srm - sr * sm) / (count * srr - sr * sr);
  minutes_intercept_ = (sm - minutes_slope_ * sr) / count;

  // A fixed seed: every worker process fits the very same surrogate.
  std::mt19937_64 rng(20250101);
  GpFitOptions options;
  options.restarts = 3;
  options.max_evaluations = 200;
  // The surrogate is the EXPECTED accuracy: it must not copy each run's measurement noise (about
  // 0.005, lm_eval's standard error). A noise floor of 0.01 in logit units is about 0.002 of
  // accuracy on the plateau: the fit stays within the noise of every run (tests check it)
  // without following it; noise is added per evaluation instead (objective.noise).
  options.min_noise_variance = 0.01;
  hellaswag_warp_ = warp_for(hellaswag);
  mmlu_warp_ = warp_for(mmlu);
  hellaswag_.fit(x, hellaswag.unaryExpr([&](double v) { return hellaswag_warp_.forward(v); }), rng,
                 options);
  mmlu_.fit(x, mmlu.unaryExpr([&](double v) { return mmlu_warp_.forward(v); }), rng, options);
}

const LoraSurrogate& LoraSurrogate::instance() {
  static const LoraSurrogate kSurrogate;
  return kSurrogate;
}

LoraSurrogate::Estimate LoraSurrogate::predict(const std::vector<ParamValue>& values) const {
  const auto unit = space_.to_unit(values);
  const Eigen::Map<const Eigen::VectorXd> u(unit.data(), static_cast<Eigen::Index>(unit.size()));
  Estimate estimate;
  const Prediction h = hellaswag_.predict(u);
  estimate.hellaswag_acc = hellaswag_warp_.inverse(h.mean);
  // The spread of the back-transformed distribution, from its 16% and 84% quantiles.
  const double sd = std::sqrt(h.variance);
  estimate.hellaswag_sd =
      0.5 * (hellaswag_warp_.inverse(h.mean + sd) - hellaswag_warp_.inverse(h.mean - sd));
  estimate.mmlu_acc = mmlu_warp_.inverse(mmlu_.predict(u).mean);
  estimate.minutes = minutes_for_rank(numeric_value(values.at(1)));
  return estimate;
}

}  // namespace lorahpo
