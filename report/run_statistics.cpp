#include "report/run_statistics.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace lorahpo::report {

bool is_better(double a, double b, Direction direction) {
  return direction == Direction::kMaximize ? a > b : a < b;
}

std::vector<std::optional<double>> best_so_far(const std::vector<std::optional<double>>& scores,
                                               Direction direction) {
  std::vector<std::optional<double>> best;
  best.reserve(scores.size());
  std::optional<double> current;
  for (const auto& score : scores) {
    if (score && std::isfinite(*score) && (!current || is_better(*score, *current, direction)))
      current = score;
    best.push_back(current);
  }
  return best;
}

std::optional<int> evaluations_to_reach(const std::vector<std::optional<double>>& best,
                                        double tolerance) {
  if (best.empty() || !best.back()) return std::nullopt;
  const double final_best = *best.back();
  for (std::size_t i = 0; i < best.size(); ++i) {
    if (best[i] && std::abs(*best[i] - final_best) <= tolerance) return static_cast<int>(i) + 1;
  }
  return std::nullopt;  // unreachable: the last entry qualifies
}

Utilization compute_utilization(const std::vector<BusyInterval>& intervals, int workers) {
  Utilization u;
  if (intervals.empty()) return u;
  double first = intervals.front().start, last = intervals.front().end;
  std::set<int> seen;
  for (const BusyInterval& b : intervals) {
    u.busy_seconds += std::max(0.0, b.end - b.start);
    first = std::min(first, b.start);
    last = std::max(last, b.end);
    seen.insert(b.worker);
  }
  u.makespan_seconds = std::max(0.0, last - first);
  u.workers = workers > 0 ? workers : static_cast<int>(seen.size());
  if (u.makespan_seconds > 0.0 && u.workers > 0) {
    u.utilization = u.busy_seconds / (u.workers * u.makespan_seconds);
  }
  return u;
}

std::optional<double> pearson_correlation(const std::vector<double>& x,
                                          const std::vector<double>& y) {
  const std::size_t n = std::min(x.size(), y.size());
  if (n < 2) return std::nullopt;
  double mx = 0.0, my = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0.0, sxx = 0.0, syy = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx <= 0.0 || syy <= 0.0) return std::nullopt;
  return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}

std::optional<double> test_metric_value(const TrialEntry& trial, const TestMetric& metric) {
  const nlohmann::json* value = nullptr;
  if (metric.key == "mmlu/acc,none") {
    const auto task = trial.metrics.find("mmlu");
    if (task != trial.metrics.end() && task->is_object()) {
      if (const auto it = task->find("acc,none"); it != task->end()) value = &*it;
    }
  } else if (const auto it = trial.metrics.find(metric.key); it != trial.metrics.end()) {
    value = &*it;
  }
  if (!value || !value->is_number()) return std::nullopt;
  const double v = value->get<double>();
  return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

std::optional<TestMetric> find_test_metric(const std::vector<TrialEntry>& trials) {
  const TestMetric candidates[] = {{"test_score", "test score"},
                                   {"mmlu_acc", "MMLU accuracy (test)"},
                                   {"mmlu/acc,none", "MMLU acc (test)"}};
  for (const TestMetric& candidate : candidates) {
    for (const TrialEntry& t : trials) {
      if (t.state == TrialState::kOk && t.score && test_metric_value(t, candidate))
        return candidate;
    }
  }
  return std::nullopt;
}

}  // namespace lorahpo::report
