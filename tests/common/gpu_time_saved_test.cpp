#include "common/gpu_time_saved.h"

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

TrialGpuTime ok_trial(double seconds, double gpus = 4) {
  return {true, false, seconds, gpus};
}
TrialGpuTime stopped(double seconds, double gpus = 4) {
  return {false, true, seconds, gpus};
}

TEST(GpuTimeSaved, MedianOfOkTrialsIsTheReference) {
  // ok: 3000, 3600, 4000 s -> median 3600 s; stopped at 120 s and 300 s on 4 GPUs each:
  // (3480 + 3300) x 4 = 27120 GPU-seconds.
  const GpuTimeSaved saved = gpu_time_saved({ok_trial(3000),
                                             stopped(120),
                                             ok_trial(4000),
                                             stopped(300),
                                             ok_trial(3600),
                                             {false, false, 50.0, 4}},
                                            10800.0);
  EXPECT_EQ(saved.stopped_early, 2);
  ASSERT_TRUE(saved.reference_seconds.has_value());
  EXPECT_DOUBLE_EQ(*saved.reference_seconds, 3600.0);
  EXPECT_EQ(saved.reference_from, "median of 3 ok trials");
  EXPECT_DOUBLE_EQ(saved.gpu_seconds, 27120.0);
  EXPECT_DOUBLE_EQ(saved.gpu_hours(), 27120.0 / 3600.0);
}

TEST(GpuTimeSaved, EvenCountMedianAndPerTrialGpus) {
  // Median of 1000 and 2000 = 1500; a 1-GPU trial stopped at 500 s saves 1000 GPU-seconds, a
  // 2-GPU one stopped after the reference saves nothing (never negative).
  const GpuTimeSaved saved = gpu_time_saved(
      {ok_trial(2000), ok_trial(1000), stopped(500, 1), stopped(1800, 2)}, std::nullopt);
  EXPECT_DOUBLE_EQ(*saved.reference_seconds, 1500.0);
  EXPECT_EQ(saved.reference_from, "median of 2 ok trials");
  EXPECT_DOUBLE_EQ(saved.gpu_seconds, 1000.0);
}

TEST(GpuTimeSaved, TimeoutWhenNoTrialIsOkElseUnknown) {
  const GpuTimeSaved by_timeout = gpu_time_saved({stopped(600, 4)}, 3600.0);
  EXPECT_EQ(by_timeout.reference_from, "trial timeout");
  EXPECT_DOUBLE_EQ(by_timeout.gpu_seconds, 3000.0 * 4);
  const GpuTimeSaved unknown = gpu_time_saved({stopped(600, 4)}, std::nullopt);
  EXPECT_EQ(unknown.stopped_early, 1);
  EXPECT_FALSE(unknown.reference_seconds.has_value());
  EXPECT_EQ(unknown.reference_from, "unknown");
  EXPECT_DOUBLE_EQ(unknown.gpu_seconds, 0.0);
  EXPECT_DOUBLE_EQ(gpu_time_saved({}, 3600.0).gpu_seconds, 0.0);
}

TEST(GpuTimeSaved, ReadsTheTrialMetrics) {
  const auto t = trial_gpu_time(
      false, nlohmann::json::parse(R"({"stopped_early":true,"seconds":42.5,"gpus":4})"));
  EXPECT_TRUE(t.stopped_early);
  EXPECT_FALSE(t.ok);
  EXPECT_DOUBLE_EQ(*t.seconds, 42.5);
  EXPECT_DOUBLE_EQ(t.gpus, 4.0);
  // Missing or malformed fields: not stopped, no seconds, one GPU.
  const auto odd = trial_gpu_time(
      true, nlohmann::json::parse(R"({"stopped_early":"yes","seconds":-1,"gpus":0})"));
  EXPECT_FALSE(odd.stopped_early);
  EXPECT_FALSE(odd.seconds.has_value());
  EXPECT_DOUBLE_EQ(odd.gpus, 1.0);
  EXPECT_FALSE(trial_gpu_time(true, nlohmann::json::array()).seconds.has_value());
  // A stopped trial without its elapsed time saves nothing countable.
  EXPECT_DOUBLE_EQ(
      gpu_time_saved({ok_trial(100), trial_gpu_time(false, {{"stopped_early", true}})}, 1.0)
          .gpu_seconds,
      0.0);
}

TEST(GpuTimeSaved, SummaryJson) {
  const auto j = to_json(gpu_time_saved({ok_trial(3600), stopped(0, 4)}, std::nullopt));
  EXPECT_EQ(
      j.dump(),
      R"({"stopped_early":1,"reference_seconds":3600.0,"reference_from":"median of 1 ok trial","gpu_seconds":14400.0,"gpu_hours":4.0})");
  EXPECT_TRUE(to_json(GpuTimeSaved{})["reference_seconds"].is_null());
}

}  // namespace
}  // namespace lorahpo
