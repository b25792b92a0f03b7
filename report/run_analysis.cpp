#include "report/run_analysis.h"

#include <algorithm>

#include "master/journal/trial_record.h"

namespace lorahpo::report {

RunAnalysis analyze_run(const RunData& run) {
  RunAnalysis a;
  const Direction direction = run.metadata.direction;
  std::vector<std::optional<double>> scores;
  std::vector<BusyInterval> busy;
  std::vector<TrialGpuTime> gpu_times;
  for (std::size_t i = 0; i < run.trials.size(); ++i) {
    const TrialEntry& t = run.trials[i];
    if (t.state == TrialState::kApproximated) {
      ++a.approximated;
      continue;
    }
    // A re-check rank 0 cancelled (the budget ended, or a retry needed its worker) did no work
    // (Scheduler::cancel_recheck writes this reason).
    const bool cancelled_recheck = t.recheck_of && is_recheck_cancellation(t.reason);
    if (t.worker > 0 && t.start_unix && t.end_unix && !cancelled_recheck)
      busy.push_back({t.worker, *t.start_unix, *t.end_unix});
    if (t.recheck_of) {
      a.rechecks_ok += t.state == TrialState::kOk;
      a.rechecks_cancelled += cancelled_recheck;
      a.rechecks_other += t.state != TrialState::kOk && !cancelled_recheck;
      continue;
    }
    if (t.retried) {
      ++a.retried;
      continue;
    }
    if (!t.is_final_evaluation()) continue;
    a.evaluations.push_back(i);
    a.ok += t.state == TrialState::kOk;
    a.failed += t.state == TrialState::kFailed;
    a.error += t.state == TrialState::kError;
    const bool scored = t.state == TrialState::kOk && t.score;
    gpu_times.push_back(trial_gpu_time(t.state == TrialState::kOk, t.metrics));
    scores.push_back(scored ? t.score : std::nullopt);
    if (scored) a.ranked.push_back(i);
  }

  a.best_so_far = best_so_far(scores, direction);
  std::stable_sort(a.ranked.begin(), a.ranked.end(), [&](std::size_t l, std::size_t r) {
    return is_better(*run.trials[l].score, *run.trials[r].score, direction);
  });
  if (!a.ranked.empty()) {
    a.best_trial = a.ranked.front();
    const auto at = std::find(a.evaluations.begin(), a.evaluations.end(), *a.best_trial);
    a.best_found_at = static_cast<int>(at - a.evaluations.begin()) + 1;
  }

  a.utilization = compute_utilization(busy, run.metadata.workers.value_or(0));
  a.wall_from_summary = run.metadata.wall_seconds.has_value();
  a.wall_seconds = run.metadata.wall_seconds.value_or(a.utilization.makespan_seconds);

  a.gpu_time_saved = gpu_time_saved(gpu_times, run.metadata.trial_timeout_seconds);

  a.test_metric = find_test_metric(run.trials);
  if (a.test_metric) {
    std::vector<double> x, y;
    for (std::size_t i : a.ranked) {
      if (const auto test = test_metric_value(run.trials[i], *a.test_metric)) {
        x.push_back(*run.trials[i].score);
        y.push_back(*test);
      }
    }
    a.correlation_pairs = static_cast<int>(x.size());
    a.correlation = pearson_correlation(x, y);
  }
  return a;
}

}  // namespace lorahpo::report
