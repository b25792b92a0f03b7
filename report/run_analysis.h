#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "common/gpu_time_saved.h"
#include "report/run_data.h"
#include "report/run_statistics.h"

namespace lorahpo::report {

/// What a report says about one run, computed once from its records.
struct RunAnalysis {
  /// The final evaluations (ok, failed, error; retried attempts left out) in the order their
  /// results arrived: indices into RunData::trials. Evaluation number k is evaluations[k - 1].
  std::vector<std::size_t> evaluations;
  /// Best score after each evaluation, in the campaign's direction.
  std::vector<std::optional<double>> best_so_far;
  /// The best ok trial (index into RunData::trials) and the evaluation number that found it.
  std::optional<std::size_t> best_trial;
  int best_found_at = 0;
  /// ok trials, best first (indices into RunData::trials).
  std::vector<std::size_t> ranked;

  int ok = 0;
  int failed = 0;
  int error = 0;
  int retried = 0;             ///< attempts that errored and were sent again
  int approximated = 0;        ///< BaMSOO points scored by the GP bound, not run
  int rechecks_ok = 0;         ///< re-checks in the idle tail that gave a score
  int rechecks_cancelled = 0;  ///< cancelled by rank 0: not work done, not in the utilization
  int rechecks_other = 0;      ///< failed or lost

  /// Over every attempt a worker ran, retried ones included.
  Utilization utilization;
  /// summary.json's wall time, else the journal's makespan.
  double wall_seconds = 0.0;
  bool wall_from_summary = false;

  /// What the early stops of diverged trials saved, over the final evaluations.
  GpuTimeSaved gpu_time_saved;

  std::optional<TestMetric> test_metric;
  std::optional<double> correlation;  ///< Pearson r of score vs test metric over ok trials
  int correlation_pairs = 0;
};

RunAnalysis analyze_run(const RunData& run);

}  // namespace lorahpo::report
