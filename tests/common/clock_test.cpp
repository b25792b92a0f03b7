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
  EXPECT_LT(now, after + 1.0);  // time() truncates to the second
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
