#include "master/optimizers/bo/acquisition_optimizer.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <nlopt.hpp>

namespace lorahpo {
namespace {

struct Scored {
  double value;
  std::vector<double> unit;
};

/// L-BFGS over the continuous coordinates of `start`.
std::vector<double> refine(const Acquisition& acquisition, const GpFeatureMap& features,
                           const std::vector<double>& start, int max_evaluations,
                           const std::vector<double>& lower, const std::vector<double>& upper) {
  std::vector<int> free;
  for (int i = 0; i < features.space().dim(); ++i) {
    if (features.is_continuous(i)) free.push_back(i);
  }
  if (free.empty()) return start;
  struct Context {
    const Acquisition* acquisition;
    const GpFeatureMap* features;
    const std::vector<int>* free;
    std::vector<double> point;
  } context{&acquisition, &features, &free, start};
  const auto objective = [](const std::vector<double>& z, std::vector<double>& grad, void* raw) {
    auto* c = static_cast<Context*>(raw);
    for (std::size_t k = 0; k < z.size(); ++k)
      c->point[static_cast<std::size_t>((*c->free)[k])] = z[k];
    Eigen::VectorXd g;
    const double value =
        c->acquisition->value_and_gradient(c->features->features(c->point, false), &g);
    for (std::size_t k = 0; k < grad.size(); ++k)
      grad[k] = g(c->features->feature_index((*c->free)[k]));
    return std::isfinite(value) ? value : -1e300;
  };
  std::vector<double> z;
  for (int i : free) z.push_back(start[static_cast<std::size_t>(i)]);
  nlopt::opt opt(nlopt::LD_LBFGS, static_cast<unsigned>(z.size()));
  std::vector<double> lo, hi;
  for (int i : free) {
    const auto k = static_cast<std::size_t>(i);
    lo.push_back(lower.empty() ? 0.0 : lower[k]);
    hi.push_back(upper.empty() ? 1.0 : upper[k]);
  }
  for (std::size_t k = 0; k < z.size(); ++k) z[k] = std::clamp(z[k], lo[k], hi[k]);
  opt.set_lower_bounds(lo);
  opt.set_upper_bounds(hi);
  opt.set_max_objective(objective, &context);
  opt.set_maxeval(max_evaluations);
  opt.set_ftol_rel(1e-9);
  double value = 0.0;
  try {
    opt.optimize(z, value);
  } catch (const std::exception&) {
    // Round-off or a failed line search: z holds the last point, still a valid candidate.
  }
  std::vector<double> point = start;
  for (std::size_t k = 0; k < z.size(); ++k)
    point[static_cast<std::size_t>(free[k])] = std::clamp(z[k], 0.0, 1.0);
  return point;
}

}  // namespace

std::optional<std::vector<double>> maximize_acquisition(
    const Acquisition& acquisition, const GpFeatureMap& features,
    const std::vector<std::vector<double>>& incumbents,
    const std::function<bool(const std::vector<double>&)>& is_duplicate, std::mt19937_64& rng,
    const AcquisitionSearchOptions& options) {
  const SearchSpace& space = features.space();
  const auto d = static_cast<std::size_t>(space.dim());
  std::uniform_real_distribution<double> uniform(0.0, 1.0);

  const bool boxed = options.lower.size() == d && options.upper.size() == d;
  const auto low = [&](std::size_t k) {
    return boxed && features.is_continuous(static_cast<int>(k)) ? options.lower[k] : 0.0;
  };
  const auto high = [&](std::size_t k) {
    return boxed && features.is_continuous(static_cast<int>(k)) ? options.upper[k] : 1.0;
  };
  std::vector<double> lower(d), upper(d);
  for (std::size_t k = 0; k < d; ++k) {
    lower[k] = low(k);
    upper[k] = high(k);
  }

  std::vector<std::vector<double>> candidates;
  for (int i = 0; i < options.random_candidates; ++i) {
    std::vector<double> u(d);
    for (std::size_t k = 0; k < d; ++k) u[k] = lower[k] + (upper[k] - lower[k]) * uniform(rng);
    candidates.push_back(std::move(u));
  }
  if (!incumbents.empty()) {
    // Two scales: a local refinement (0.02) and a wider neighbourhood (0.15) of each incumbent.
    for (int i = 0; i < options.local_candidates; ++i) {
      const auto& base = incumbents[static_cast<std::size_t>(i) % incumbents.size()];
      std::normal_distribution<double> step(0.0, i % 2 == 0 ? 0.02 : 0.15);
      std::vector<double> u(d);
      for (std::size_t k = 0; k < d; ++k) {
        // Categoricals jump to a random label now and then rather than drift.
        u[k] = features.is_continuous(static_cast<int>(k))
                   ? std::clamp(base[k] + step(rng), lower[k], upper[k])
               : uniform(rng) < 0.2 ? uniform(rng)
                                    : base[k];
      }
      candidates.push_back(std::move(u));
    }
  }

  Eigen::MatrixXd x(static_cast<Eigen::Index>(candidates.size()), features.feature_dim());
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    candidates[i] = space.snap(candidates[i]);
    x.row(static_cast<Eigen::Index>(i)) = features.features(candidates[i]).transpose();
  }
  const Eigen::VectorXd values = acquisition.values(x);
  std::vector<Scored> scored;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    scored.push_back({std::isfinite(values(static_cast<Eigen::Index>(i)))
                          ? values(static_cast<Eigen::Index>(i))
                          : -1e300,
                      candidates[i]});
  }
  std::sort(scored.begin(), scored.end(),
            [](const Scored& a, const Scored& b) { return a.value > b.value; });

  std::vector<Scored> refined;
  for (int s = 0; s < options.gradient_starts && s < static_cast<int>(scored.size()); ++s) {
    const std::vector<double> point =
        space.snap(refine(acquisition, features, scored[static_cast<std::size_t>(s)].unit,
                          options.max_evaluations, lower, upper));
    const double value = acquisition.value(features.features(point));
    refined.push_back({std::isfinite(value) ? value : -1e300, point});
  }
  refined.insert(refined.end(), scored.begin(), scored.end());
  std::stable_sort(refined.begin(), refined.end(),
                   [](const Scored& a, const Scored& b) { return a.value > b.value; });
  for (const Scored& s : refined) {
    if (!is_duplicate(s.unit)) return s.unit;
  }
  return std::nullopt;
}

}  // namespace lorahpo
