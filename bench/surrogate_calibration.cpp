// How well the lora_surrogate's GP is calibrated, and why it is not better (issue 15's "about 68%
// within one standard error"). Prints a Markdown report on stdout:
//
// 1. Near-replicates in the real runs: SOO's grid evaluated points that differ only in LoRA
//    dropout or weight decay. Their score differences, in units of lm_eval's standard error
//    (se_i^2 + se_j^2)^(1/2), say how large the run-to-run noise between configurations is,
//    against the standard error the surrogate takes as its noise.
// 2. The standardized leave-one-out residuals (GaussianProcess::standardized_residuals) on data
//    drawn from the surrogate itself (its posterior mean at the 150 runs' points plus Gaussian
//    noise of each run's standard error, held-out seeds), for the surrogate's fit and for three
//    alternatives: hyperparameters by leave-one-out predictive likelihood (Rasmussen & Williams
//    2006, sec. 5.4.2, eq. 5.11), which Bachoc (2013, "Cross validation and maximum likelihood
//    estimations of hyper-parameters of Gaussian processes with model misspecification") finds
//    better calibrated than likelihood under misspecification; a Kumaraswamy warp of lora_alpha
//    as well (chosen on the real runs by log posterior over a grid, as the learning rate's); and
//    the fit without the runs whose standardized residual exceeds 4 (removed one at a time, the
//    largest first), the truth being that fit's mean.
//
//   bench/run_surrogate_calibration.sh   # about 2 minutes on 2 idle cores
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "common/gaussian_process.h"
#include "common/matern52_kernel.h"
#include "worker/accuracy_model.h"
#include "worker/lora_runs.h"
#include "worker/lora_surrogate.h"
// The 150 runs as the surrogate's tests load them (header only).
#include "tests/support/lora_run_data.h"

namespace lorahpo {
namespace {

constexpr double kChance = 0.25;
/// The surrogate's fitting seed (LoraSurrogate's constructor).
constexpr std::uint64_t kSurrogateSeed = 20250101;
constexpr double kOutlierZ = 4.0;

using testing_support::Measured;
using testing_support::run_data;
using Runs = testing_support::RunData;

Runs subset(const Runs& d, const std::vector<Eigen::Index>& keep) {
  const auto m = static_cast<Eigen::Index>(keep.size());
  Runs s{Eigen::MatrixXd(m, 5), Eigen::VectorXd(m), Eigen::VectorXd(m)};
  for (Eigen::Index k = 0; k < m; ++k) {
    const Eigen::Index i = keep[static_cast<std::size_t>(k)];
    s.x.row(k) = d.x.row(i);
    s.y(k) = d.y(i);
    s.se(k) = d.se(i);
  }
  return s;
}

Eigen::MatrixXd warp_column(Eigen::MatrixXd x, Eigen::Index column, KumaraswamyWarp warp) {
  for (Eigen::Index i = 0; i < x.rows(); ++i) x(i, column) = warp.forward(x(i, column));
  return x;
}

struct Shares {
  double one = 0.0;
  double two = 0.0;
};

Shares shares(const Eigen::VectorXd& z) {
  int one = 0, two = 0;
  for (Eigen::Index i = 0; i < z.size(); ++i) {
    one += std::fabs(z(i)) <= 1.0;
    two += std::fabs(z(i)) <= 2.0;
  }
  const auto n = static_cast<double>(z.size());
  return {one / n, two / n};
}

/// The GP's problem as AccuracyModel::fit poses it: warped inputs, logit-warped outputs and their
/// noise variances (AccuracyModel::warp_outputs), in the standardized units of the model's GP, so
/// the model must have been fitted to these runs.
struct Posed {
  Eigen::MatrixXd x;
  Eigen::VectorXd ys;
  Eigen::VectorXd fixed_noise;
};

Posed pose(const AccuracyModel& model, const Runs& d) {
  const AccuracyModel::WarpedOutputs warped = model.warp_outputs(d.y, d.se);
  const double mean = model.gp().output_mean(), scale = model.gp().output_scale();
  return Posed{model.warp_inputs(d.x), (warped.z.array() - mean) / scale,
               warped.noise_variances / (scale * scale)};
}

/// Leave-one-out log predictive probability (R&W 2006 eq. 5.10-5.11) of theta = [log l, log s2,
/// log noise]; z: the standardized leave-one-out residuals.
double loo_log_predictive(const Posed& p, const Eigen::VectorXd& theta, Eigen::VectorXd* z) {
  const auto d = p.x.cols();
  const auto n = p.x.rows();
  if (theta.maxCoeff() > 8.0 || theta.minCoeff() < -40.0) return -1e300;
  const Matern52Kernel kernel(theta.head(d).array().exp(), std::exp(theta(d)));
  Eigen::MatrixXd c = kernel.gram(p.x, p.x);
  c.diagonal().array() += std::exp(theta(d + 1)) + 1e-8 * std::exp(theta(d));
  c.diagonal() += p.fixed_noise;
  const Eigen::LLT<Eigen::MatrixXd> llt(c);
  if (llt.info() != Eigen::Success) return -1e300;
  const Eigen::MatrixXd inverse = llt.solve(Eigen::MatrixXd::Identity(n, n));
  const Eigen::VectorXd alpha = inverse * p.ys;
  double value = 0.0;
  if (z) z->resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double variance = 1.0 / inverse(i, i);
    const double residual = alpha(i) * variance;
    value += -0.5 * std::log(variance) - 0.5 * residual * residual / variance;
    if (z) (*z)(i) = residual / std::sqrt(variance);
  }
  return value;
}

/// Nelder-Mead (Nelder & Mead 1965; standard coefficients), minimizing f from x0.
Eigen::VectorXd nelder_mead(const std::function<double(const Eigen::VectorXd&)>& f,
                            const Eigen::VectorXd& x0, int iterations) {
  const auto n = x0.size();
  std::vector<Eigen::VectorXd> simplex(static_cast<std::size_t>(n + 1), x0);
  std::vector<double> value(static_cast<std::size_t>(n + 1));
  for (Eigen::Index i = 0; i < n; ++i) simplex[static_cast<std::size_t>(i + 1)](i) += 0.5;
  for (std::size_t i = 0; i < simplex.size(); ++i) value[i] = f(simplex[i]);
  std::vector<std::size_t> order(simplex.size());
  for (int it = 0; it < iterations; ++it) {
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return value[a] < value[b]; });
    const std::size_t best = order.front(), worst = order.back(), second = order[order.size() - 2];
    Eigen::VectorXd centroid = Eigen::VectorXd::Zero(n);
    for (std::size_t i = 0; i + 1 < order.size(); ++i) centroid += simplex[order[i]];
    centroid /= static_cast<double>(n);
    const Eigen::VectorXd reflected = 2.0 * centroid - simplex[worst];
    const double fr = f(reflected);
    if (fr < value[best]) {
      const Eigen::VectorXd expanded = 3.0 * centroid - 2.0 * simplex[worst];
      const double fe = f(expanded);
      simplex[worst] = fe < fr ? expanded : reflected;
      value[worst] = std::min(fe, fr);
    } else if (fr < value[second]) {
      simplex[worst] = reflected;
      value[worst] = fr;
    } else {
      const Eigen::VectorXd contracted = 0.5 * (centroid + simplex[worst]);
      const double fc = f(contracted);
      if (fc < value[worst]) {
        simplex[worst] = contracted;
        value[worst] = fc;
      } else {
        for (std::size_t i = 0; i < simplex.size(); ++i) {
          if (i == best) continue;
          simplex[i] = 0.5 * (simplex[i] + simplex[best]);
          value[i] = f(simplex[i]);
        }
      }
    }
  }
  return simplex[static_cast<std::size_t>(std::min_element(value.begin(), value.end()) -
                                          value.begin())];
}

/// Log posterior of a fitted model on its own data (GaussianProcess::log_posterior).
double log_posterior(const AccuracyModel& model, const Runs& d) {
  const Posed p = pose(model, d);
  return GaussianProcess::log_posterior(p.x, p.ys, model.gp().hyperparameters(), nullptr,
                                        &p.fixed_noise);
}

AccuracyModel fitted(const Runs& d, InputWarp warp, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  AccuracyModel model(5, warp);
  model.fit(d.x, d.y, d.se, kChance, rng);
  return model;
}

/// One way to model the runs: its fit to the real runs (whose mean is the truth the draws
/// scatter around) and how it refits a draw, giving the standardized residuals.
struct Variant {
  std::string name;
  Runs data;               ///< the real runs it keeps, inputs pre-warped where it warps more
  AccuracyModel model{5};  ///< its fit to them
  bool loo_cv = false;     ///< refit hyperparameters by leave-one-out predictive probability
};

/// The hyperparameters that maximize the leave-one-out predictive probability of p (the runs the
/// model was fitted to), from the model's MAP ones.
Eigen::VectorXd loo_cv_hyperparameters(const AccuracyModel& model, const Posed& p) {
  return nelder_mead([&](const Eigen::VectorXd& t) { return -loo_log_predictive(p, t, nullptr); },
                     model.gp().hyperparameters().to_vector(), 1200);
}

/// The standardized leave-one-out residuals of the variant's way of fitting, refitted to d.
Shares residual_shares(const Variant& v, const Runs& d, std::uint64_t seed) {
  const AccuracyModel model = fitted(d, v.model.input_warp(), seed);
  if (!v.loo_cv) return shares(model.gp().standardized_residuals());
  const Posed p = pose(model, d);
  Eigen::VectorXd z;
  loo_log_predictive(p, loo_cv_hyperparameters(model, p), &z);
  return shares(z);
}

/// The variant's fit's mean at the rows of d.x, what the draws scatter around (in accuracy units,
/// as AccuracyModel::predict).
Eigen::VectorXd truth_of(const Variant& v) {
  const Runs& d = v.data;
  Eigen::VectorXd truth(d.y.size());
  if (!v.loo_cv) {
    for (Eigen::Index i = 0; i < d.y.size(); ++i)
      truth(i) = v.model.predict(d.x.row(i).transpose()).mean;
    return truth;
  }
  GaussianProcess gp(5);
  gp.set_hyperparameters(
      GpHyperparameters::from_vector(loo_cv_hyperparameters(v.model, pose(v.model, d))));
  const AccuracyModel::WarpedOutputs warped = v.model.warp_outputs(d.y, d.se);
  const Eigen::MatrixXd x = v.model.warp_inputs(d.x);
  gp.set_data(x, warped.z, warped.noise_variances);
  for (Eigen::Index i = 0; i < d.y.size(); ++i)
    truth(i) = v.model.warp().inverse(gp.predict(x.row(i).transpose()).mean);
  return truth;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

void near_replicates() {
  const auto& runs = lora_runs();
  std::printf("## 1. Near-replicates: runs that differ only in dropout or weight decay\n\n");
  std::printf(
      "Pairs of real runs with the same learning rate, lora_r and lora_alpha (SOO's grid), "
      "whose dropout or weight decay differ. The absolute difference over (se_i^2 + se_j^2)^(1/2): "
      "under the "
      "surrogate's noise model (each run's lm_eval standard error, independent), about 0.67 "
      "at the median if dropout and weight decay had no effect at all.\n\n");
  std::printf("| learning rate | pairs | median difference / se | largest | median difference |\n");
  std::printf("|---|---:|---:|---:|---:|\n");
  for (const bool cliff : {false, true}) {
    std::vector<double> in_se, raw;
    for (const auto& [i, j] : lora_run_near_replicates()) {
      const LoraRun &a = runs[i], &b = runs[j];
      if ((a.learning_rate > 1e-3) != cliff) continue;
      const double diff = std::fabs(a.hellaswag_acc_norm - b.hellaswag_acc_norm);
      raw.push_back(diff);
      in_se.push_back(diff / std::hypot(a.hellaswag_acc_norm_stderr, b.hellaswag_acc_norm_stderr));
    }
    if (in_se.empty()) continue;
    std::printf("| %s | %zu | %.3f | %.2f | %.5f |\n",
                cliff ? "above 1e-3 (the cliff)" : "below 1e-3 (the plateau)", in_se.size(),
                median(in_se), *std::max_element(in_se.begin(), in_se.end()), median(raw));
  }
  std::printf("\n");
}

}  // namespace
}  // namespace lorahpo

int main(int argc, char** argv) {
  using namespace lorahpo;
  const int first_seed = argc > 1 ? std::atoi(argv[1]) : 101;
  const int seeds = argc > 2 ? std::atoi(argv[2]) : 20;
  const LoraSurrogate& surrogate = LoraSurrogate::instance();
  const InputWarp lr_warp = surrogate.model(LoraMetric::kAccNorm).input_warp();
  const Runs real = run_data(Measured::kAccNorm);

  std::printf("# lora_surrogate's calibration (acc_norm)\n\n");
  std::printf("Made by `bench/run_surrogate_calibration.sh` (seeds %d-%d).\n\n", first_seed,
              first_seed + seeds - 1);
  near_replicates();

  std::vector<Variant> variants;
  {
    Variant v{"the surrogate (MAP, learning-rate warp)", real,
              fitted(real, lr_warp, kSurrogateSeed), false};
    variants.push_back(v);
    v.name = "hyperparameters by leave-one-out predictive probability";
    v.loo_cv = true;
    variants.push_back(v);
  }
  {
    // lora_alpha's warp: the grid of the learning rate's (lora_surrogate_warp_test), best log
    // posterior on the real runs.
    double best = -1e300;
    KumaraswamyWarp chosen;
    for (const double a : {0.2, 0.35, 0.5, 0.75, 1.0, 1.5}) {
      for (const double b : {0.5, 1.0, 1.5, 2.5, 4.0}) {
        Runs d = real;
        d.x = warp_column(real.x, 2, {a, b});
        const double lp = log_posterior(fitted(d, lr_warp, kSurrogateSeed), d);
        if (lp > best) best = lp, chosen = {a, b};
      }
    }
    Runs d = real;
    d.x = warp_column(real.x, 2, chosen);
    char name[128];
    std::snprintf(name, sizeof name, "and lora_alpha warped (Kumaraswamy a = %.2f, b = %.2f)",
                  chosen.a, chosen.b);
    variants.push_back(Variant{name, d, fitted(d, lr_warp, kSurrogateSeed), false});
  }
  {
    std::vector<Eigen::Index> keep(static_cast<std::size_t>(real.y.size()));
    for (std::size_t i = 0; i < keep.size(); ++i) keep[i] = static_cast<Eigen::Index>(i);
    std::string removed;
    for (;;) {
      const Runs d = subset(real, keep);
      const Eigen::VectorXd z = fitted(d, lr_warp, kSurrogateSeed).gp().standardized_residuals();
      Eigen::Index worst = 0;
      if (z.cwiseAbs().maxCoeff(&worst) <= kOutlierZ) break;
      const LoraRun& run =
          lora_runs()[static_cast<std::size_t>(keep[static_cast<std::size_t>(worst)])];
      char line[160];
      std::snprintf(line, sizeof line, "%s%.4f (lr %.1e, r %lld, alpha %lld, z %.1f)",
                    removed.empty() ? "" : "; ", run.hellaswag_acc_norm, run.learning_rate,
                    static_cast<long long>(run.lora_r), static_cast<long long>(run.lora_alpha),
                    z(worst));
      removed += line;
      keep.erase(keep.begin() + worst);
    }
    const Runs d = subset(real, keep);
    variants.push_back(Variant{"without the runs beyond 4 standardized residuals: " + removed, d,
                               fitted(d, lr_warp, kSurrogateSeed), false});
  }

  std::printf("## 2. Standardized leave-one-out residuals\n\n");
  std::printf(
      "Shares within one and two (a Gaussian: 0.683 and 0.954). The draws: each variant's own "
      "fit's mean at its runs' points plus Gaussian noise of each run's standard error (what "
      "the model assumes), refitted as the variant fits; mean and range over the seeds. The "
      "real runs: the variant's fit to them. Log posterior: the fit to the real runs (the "
      "surrogate's own objective; not comparable across different sets of runs).\n\n");
  std::printf(
      "| model | runs | log posterior | draws: within one | within two | real runs: within one "
      "| within two |\n|---|---:|---:|---:|---:|---:|---:|\n");
  for (const Variant& v : variants) {
    const Eigen::VectorXd truth = truth_of(v);
    const Shares real_shares = residual_shares(v, v.data, kSurrogateSeed);
    double one = 0, two = 0, one_lo = 1, one_hi = 0, two_lo = 1, two_hi = 0;
    for (int s = first_seed; s < first_seed + seeds; ++s) {
      std::mt19937_64 rng(static_cast<std::uint64_t>(s));
      std::normal_distribution<double> normal(0.0, 1.0);
      Runs drawn = v.data;
      for (Eigen::Index i = 0; i < drawn.y.size(); ++i)
        drawn.y(i) = truth(i) + drawn.se(i) * normal(rng);
      const Shares sh = residual_shares(v, drawn, static_cast<std::uint64_t>(s) + 7919);
      one += sh.one, two += sh.two;
      one_lo = std::min(one_lo, sh.one), one_hi = std::max(one_hi, sh.one);
      two_lo = std::min(two_lo, sh.two), two_hi = std::max(two_hi, sh.two);
    }
    char lp[32] = "(as above)";  // the leave-one-out fit starts from the MAP fit, not scored by it
    if (!v.loo_cv) std::snprintf(lp, sizeof lp, "%.1f", log_posterior(v.model, v.data));
    std::printf("| %s | %lld | %s | %.3f (%.3f-%.3f) | %.3f (%.3f-%.3f) | %.3f | %.3f |\n",
                v.name.c_str(), static_cast<long long>(v.data.y.size()), lp, one / seeds, one_lo,
                one_hi, two / seeds, two_lo, two_hi, real_shares.one, real_shares.two);
    std::fflush(stdout);
  }
  return 0;
}
