#pragma once

#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/campaign_config.h"
#include "master/journal/trial_record.h"

namespace lorahpo {

/// How much repeated measurements of the same point scatter: the pooled within-point standard
/// deviation, s^2 = sum_i sum_j (y_ij - mean_i)^2 / sum_i (n_i - 1) over the points measured more
/// than once (the one-way ANOVA's within-group mean square; each point's mean is its own, so the
/// landscape does not enter). In a campaign the repeats are tail re-checks, which train the point
/// again with another seed: the spread is the training's own randomness, what differs between two
/// runs, measured at the top-k points, where the recommendation is decided (on the real runs'
/// divergence cliff the noise is far larger, on their plateau far smaller). lm_eval's standard
/// error is not that: every run answers the same test items, so the test set's sampling error is
/// shared by all runs and cancels between them (in the 150 real runs, points that differ only in
/// dropout or weight decay differ by a median 0.016 standard errors below the divergence cliff and
/// 26 on it: bench/results/surrogate_calibration.md).
struct ReplicateSpread {
  double sd = 0.0;
  int degrees_of_freedom = 0;  ///< sum_i (n_i - 1)
  int points = 0;              ///< points measured more than once
};

/// The spread of the ok, non-retried measurements of each point (by unit coordinates); nullopt
/// when no point was measured twice.
std::optional<ReplicateSpread> replicate_spread(const std::vector<TrialRecord>& records);

/// Degrees of freedom from which the replicates' spread is trusted as the noise: with 5, the
/// 95% interval of sd / s is about [0.62, 2.45] (chi-square with 5 degrees of freedom).
inline constexpr int kMinReplicateDegreesOfFreedom = 5;

enum class NoiseSource {
  kLearned,       ///< none known: the GP learns it (a command without re-checks)
  kObjective,     ///< a builtin's `noise`: the simulator adds exactly that
  kReplicates,    ///< the replicates' spread (at least kMinReplicateDegreesOfFreedom)
  kLmEvalStderr,  ///< LitGPT: the median of lm_eval's standard error of the objective's metric
};
const char* to_string(NoiseSource source);

/// The measurement noise of the score that the recommendation's GP is given (recommendation.h).
struct MeasurementNoise {
  std::optional<double> sd;  ///< nullopt: learned
  NoiseSource source = NoiseSource::kLearned;
  std::optional<ReplicateSpread> replicates;  ///< the replicates' spread, whether used or not
};

/// The campaign's measurement noise, from its ok measurements (re-checks included): a builtin's
/// `noise` when set (known exactly); otherwise the replicates' spread when it has at least
/// kMinReplicateDegreesOfFreedom; otherwise, for LitGPT, the median over the evaluations of
/// lm_eval's standard error of the objective's metric (results.json's "acc_norm_stderr,none"
/// beside "acc_norm,none", kept in the metrics; "N/A" or absent is skipped). When none of these is
/// known, no sd (kLearned): the GP learns the noise. The replicates' spread is preferred to
/// lm_eval's standard error because it measures what differs between two runs (ReplicateSpread).
MeasurementNoise measurement_noise(const CampaignConfig& config,
                                   const std::vector<TrialRecord>& records);

/// {"sd" (null when learned), "source", "replicates": {"sd", "degrees_of_freedom", "points"} or
/// null}.
nlohmann::ordered_json to_json(const MeasurementNoise& noise);

}  // namespace lorahpo
