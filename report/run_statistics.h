#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/run_data.h"

namespace lorahpo::report {

/// True when score a is strictly better than b in the campaign's direction.
bool is_better(double a, double b, Direction direction);

/// best[i] = the best of scores[0..i] (nullopt scores are failures and do not count); nullopt
/// until the first score.
std::vector<std::optional<double>> best_so_far(const std::vector<std::optional<double>>& scores,
                                               Direction direction);

/// 1-based index of the first evaluation whose best-so-far is within `tolerance` of the final
/// best, i.e. |best[i] - best[n-1]| <= tolerance; nullopt when nothing scored.
std::optional<int> evaluations_to_reach(const std::vector<std::optional<double>>& best,
                                        double tolerance);

/// One worker busy from start to end (seconds since the epoch).
struct BusyInterval {
  int worker = 0;
  double start = 0.0;
  double end = 0.0;
};

/// U = sum of busy seconds / (workers x makespan), makespan = last end - first start.
struct Utilization {
  double busy_seconds = 0.0;
  double makespan_seconds = 0.0;
  int workers = 0;
  double utilization = 0.0;  ///< 0 when the makespan or the worker count is 0
};

/// `workers` is the campaign's worker count; 0 counts the distinct workers of the intervals.
Utilization compute_utilization(const std::vector<BusyInterval>& intervals, int workers);

/// Pearson's r = cov(x, y) / (sd(x) sd(y)); nullopt for fewer than 2 pairs or a constant side.
std::optional<double> pearson_correlation(const std::vector<double>& x,
                                          const std::vector<double>& y);

/// The test metric of a trial: metrics "test_score" (the litgpt objective's test task), else
/// "mmlu_acc" (the lora_surrogate builtin), else "mmlu" -> "acc,none" (lm_eval's layout).
struct TestMetric {
  std::string key;    ///< "test_score", "mmlu_acc" or "mmlu/acc,none"
  std::string label;  ///< for an axis
};
std::optional<TestMetric> find_test_metric(const std::vector<TrialEntry>& trials);
std::optional<double> test_metric_value(const TrialEntry& trial, const TestMetric& metric);

}  // namespace lorahpo::report
