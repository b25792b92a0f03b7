#include "report/run_statistics.h"

#include <gtest/gtest.h>

#include "report/run_analysis.h"

namespace lorahpo::report {
namespace {

constexpr double kTol = 1e-12;

TEST(BestSoFar, FollowsTheDirectionAndSkipsFailures) {
  const std::vector<std::optional<double>> scores = {std::nullopt, 0.3, 0.1,
                                                     std::nullopt, 0.5, 0.4};
  const auto up = best_so_far(scores, Direction::kMaximize);
  const std::vector<std::optional<double>> want_up = {std::nullopt, 0.3, 0.3, 0.3, 0.5, 0.5};
  EXPECT_EQ(up, want_up);
  const auto down = best_so_far(scores, Direction::kMinimize);
  const std::vector<std::optional<double>> want_down = {std::nullopt, 0.3, 0.1, 0.1, 0.1, 0.1};
  EXPECT_EQ(down, want_down);
}

TEST(BestSoFar, EvaluationsToReachTheFinalBestWithinATolerance) {
  const std::vector<std::optional<double>> best = {std::nullopt, 0.50, 0.5595, 0.5605, 0.561};
  EXPECT_EQ(*evaluations_to_reach(best, 0.002), 3);
  EXPECT_EQ(*evaluations_to_reach(best, 0.0), 5);
  EXPECT_FALSE(evaluations_to_reach({std::nullopt, std::nullopt}, 0.002));
  EXPECT_FALSE(evaluations_to_reach({}, 0.002));
}

TEST(Utilization, IsBusyOverWorkersTimesMakespan) {
  // Worker 1 busy 0-10, worker 2 busy 0-5: 15 s of 2 x 10 s.
  const std::vector<BusyInterval> half = {{1, 100.0, 110.0}, {2, 100.0, 105.0}};
  Utilization u = compute_utilization(half, 0);
  EXPECT_EQ(u.workers, 2);
  EXPECT_NEAR(u.busy_seconds, 15.0, kTol);
  EXPECT_NEAR(u.makespan_seconds, 10.0, kTol);
  EXPECT_NEAR(u.utilization, 0.75, kTol);
  // The campaign had 4 workers, two of which never ran anything: 15 / 40.
  u = compute_utilization(half, 4);
  EXPECT_NEAR(u.utilization, 0.375, kTol);
  // Back-to-back jobs fill the timeline.
  u = compute_utilization({{1, 0.0, 10.0}, {2, 0.0, 5.0}, {2, 5.0, 10.0}}, 2);
  EXPECT_NEAR(u.utilization, 1.0, kTol);
  EXPECT_NEAR(compute_utilization({}, 3).utilization, 0.0, kTol);
}

TEST(Pearson, MatchesKnownValues) {
  EXPECT_NEAR(*pearson_correlation({1, 2, 3}, {2, 4, 6}), 1.0, kTol);
  EXPECT_NEAR(*pearson_correlation({1, 2, 3}, {3, 2, 1}), -1.0, kTol);
  // r = 6 / sqrt(10 * 6) = 0.774597...
  EXPECT_NEAR(*pearson_correlation({1, 2, 3, 4, 5}, {2, 4, 5, 4, 5}), 0.7745966692414834, 1e-12);
  EXPECT_FALSE(pearson_correlation({1}, {1}));
  EXPECT_FALSE(pearson_correlation({1, 2, 3}, {4, 4, 4}));
}

TrialEntry trial(TrialState state, std::optional<double> score, int worker, double start,
                 double end, bool retried = false) {
  TrialEntry t;
  t.state = state;
  t.score = score;
  t.worker = worker;
  t.start_unix = start;
  t.end_unix = end;
  t.retried = retried;
  t.metrics = {{"mmlu_acc", score ? *score / 2.0 : 0.0}};
  return t;
}

TEST(AnalyzeRun, RetriedAttemptsCountForTheTimelineOnly) {
  RunData run;
  run.metadata.direction = Direction::kMaximize;
  run.metadata.workers = 2;
  run.trials = {trial(TrialState::kOk, 0.4, 1, 0, 10),
                trial(TrialState::kError, std::nullopt, 2, 0, 2, /*retried=*/true),
                trial(TrialState::kOk, 0.6, 2, 2, 10),
                trial(TrialState::kApproximated, std::nullopt, 0, 10, 10),
                trial(TrialState::kFailed, std::nullopt, 1, 10, 20),
                trial(TrialState::kOk, 0.5, 2, 10, 20)};
  const RunAnalysis a = analyze_run(run);
  EXPECT_EQ(a.evaluations.size(), 4u);
  EXPECT_EQ(a.ok, 3);
  EXPECT_EQ(a.failed, 1);
  EXPECT_EQ(a.retried, 1);
  EXPECT_EQ(a.approximated, 1);
  ASSERT_TRUE(a.best_trial);
  EXPECT_EQ(*a.best_trial, 2u);
  EXPECT_EQ(a.best_found_at, 2);
  EXPECT_EQ(a.ranked, (std::vector<std::size_t>{2, 5, 0}));
  // Busy 10 + 2 + 8 + 10 + 10 = 40 of 2 x 20.
  EXPECT_NEAR(a.utilization.utilization, 1.0, kTol);
  ASSERT_TRUE(a.test_metric);
  EXPECT_EQ(a.test_metric->key, "mmlu_acc");
  EXPECT_EQ(a.correlation_pairs, 3);
  EXPECT_NEAR(*a.correlation, 1.0, kTol);
}

TEST(AnalyzeRun, MinimizeRanksTheLowestFirst) {
  RunData run;
  run.metadata.direction = Direction::kMinimize;
  run.trials = {trial(TrialState::kOk, 3.0, 1, 0, 1), trial(TrialState::kOk, 1.0, 1, 1, 2),
                trial(TrialState::kOk, 2.0, 1, 2, 3)};
  const RunAnalysis a = analyze_run(run);
  EXPECT_EQ(*a.best_trial, 1u);
  EXPECT_EQ(*a.best_so_far.back(), 1.0);
}

}  // namespace
}  // namespace lorahpo::report
