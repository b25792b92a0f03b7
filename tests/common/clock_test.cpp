// The real clock: unix seconds are the C library's time(), monotonic seconds never go back.

#include "common/clock.h"

#include <ctime>

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

TEST(SystemClock, UnixSecondsAreTheEpochSeconds) {
  const auto before = static_cast<double>(std::time(nullptr));
  const double now = system_clock().unix_seconds();
  const auto after = static_cast<double>(std::time(nullptr));
  EXPECT_GE(now, before);
  // time() truncates to the second, and glibc reads it from the coarse real-time clock
  // (CLOCK_REALTIME_COARSE through the vDSO), which lags the fine clock by up to one kernel tick:
  // just after a second turns, time() may still give the previous one. Half a second of slack
  // covers any tick and still catches a clock in the wrong unit or from the wrong origin.
  EXPECT_LT(now, after + 1.5);
}

TEST(SystemClock, MonotonicSecondsNeverGoBack) {
  const Clock& clock = system_clock();
  double last = clock.monotonic_seconds();
  for (int i = 0; i < 1000; ++i) {
    const double now = clock.monotonic_seconds();
    ASSERT_GE(now, last);
    last = now;
  }
}

}  // namespace
}  // namespace lorahpo
