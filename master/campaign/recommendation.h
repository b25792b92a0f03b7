#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/campaign_config.h"
#include "common/search_space.h"
#include "master/campaign/measurement_noise.h"
#include "master/journal/trial_record.h"

namespace lorahpo {

/// The configuration a campaign recommends, and why.
///
/// The best observed score is the maximum of noisy measurements: with lm_eval's standard error
/// (~0.005 on HellaSwag) and a landscape where most good runs lie within 0.01 of each other, the
/// winner's curse inflates it above the true value of its point, the more so the more points were
/// measured. The recommendation is instead the evaluated point with the best GP posterior mean:
/// the plug-in rule of noisy Bayesian optimization (Letham, Karrer, Ottoni & Bakshy 2019,
/// "Constrained Bayesian optimization with noisy experiments", whose noisy EI builds on it;
/// Picheny, Wagner & Ginsbourger 2013 benchmark such kriging-based rules for noisy optimization).
/// Only evaluated points
/// are candidates: a user runs what was measured. Every measurement of a point (tail re-checks
/// included) conditions the GP.
struct Recommendation {
  std::int64_t id = -1;  ///< the first ok evaluation of the recommended point
  std::vector<double> unit;
  std::vector<ParamValue> params;
  /// GP posterior mean and standard deviation of the score at the point, in the score's units
  /// (the latent value, without the measurement noise).
  double mean = 0.0;
  double sd = 0.0;
  int measurements = 0;        ///< ok evaluations of the point
  double observed_mean = 0.0;  ///< their mean score
  /// Builtin objectives: the noiseless value of the point (metric "noiseless"), what a
  /// simulation compares methods by.
  std::optional<double> noiseless;
  /// False when there were too few distinct points for a GP (fewer than kMinModelPoints): the
  /// point with the best mean observed score.
  bool from_model = true;
  /// The measurement noise the GP was given and where it came from (set by the campaign, which
  /// knows the objective: measurement_noise.h).
  MeasurementNoise noise;
};

/// Distinct evaluated points below which no GP is fitted.
inline constexpr int kMinModelPoints = 3;

/// The recommendation of a campaign's ok evaluations (none without one). The GP is BO-GP's
/// (Matern-5/2 ARD, MAP, integers at their bin centres, categoricals one-hot) fitted to every ok
/// score in the campaign's direction; deterministic given the records and `seed`.
/// `noise_sd`: the measurement noise when it is known (lm_eval's standard error, a builtin's
/// `noise`), given to the GP as fixed noise (GpFitOptions::noise_variances). Fitted by MAP alone
/// from 50 points the noise comes out far below it, so the GP follows the noise of the best
/// measurements and its mean at the recommended point is biased high nearly as much as the best
/// noisy score (bench/results/rechecks.md); known noise makes it shrink them.
std::optional<Recommendation> recommend(const SearchSpace& space,
                                        const std::vector<TrialRecord>& records,
                                        Direction direction, std::uint64_t seed,
                                        std::optional<double> noise_sd = std::nullopt);

/// {"id", "params", "posterior_mean", "posterior_sd", "measurements", "observed_mean",
///  "rule", ["noiseless"], "noise"} for summary.json.
nlohmann::ordered_json to_json(const Recommendation& recommendation, const SearchSpace& space);

}  // namespace lorahpo
