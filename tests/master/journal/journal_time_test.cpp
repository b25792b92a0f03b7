#include "master/journal/journal_time.h"

#include <cmath>

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

/// Times are sums of whole seconds and a decimal fraction: equal to rounding error.
constexpr double kTimeTol = 1e-6;

TEST(JournalTime, ParsesTheJournalsForm) {
  EXPECT_NEAR(parse_iso8601_utc("1970-01-01T00:00:00Z"), 0.0, kTimeTol);
  EXPECT_NEAR(parse_iso8601_utc("1970-01-02T00:00:01.5Z"), 86401.5, kTimeTol);
  // 2026-11-26 is day 20783 of the Unix epoch.
  EXPECT_NEAR(parse_iso8601_utc("2026-11-26T20:18:03.123Z"),
              20783 * 86400.0 + 20 * 3600 + 18 * 60 + 3.123, kTimeTol);
}

TEST(JournalTime, OneFormOnly) {
  // The journal is in UTC with a 'Z': another zone, no zone or a space is not a journal time.
  for (const char* text :
       {"", "yesterday", "2026-11-26T20:18:03+00:00", "2026-11-26T20:18:03+02:00",
        "2026-11-26T20:18:03", "2026-11-26 20:18:03Z", "2026-11-26T20:18:03.Z",
        "2026-11-26T20:18:03.123Zjunk", "2026-13-01T00:00:00Z"}) {
    EXPECT_TRUE(std::isnan(parse_iso8601_utc(text))) << text;
  }
}

TEST(JournalTime, GregorianLeapYearsAndDaysBeforeTheEpoch) {
  // Day numbers from Python's datetime.date(...) - date(1970, 1, 1).
  EXPECT_NEAR(parse_iso8601_utc("2000-03-01T00:00:00Z"), 11017 * 86400.0,
              kTimeTol);  // 400-year leap
  EXPECT_NEAR(parse_iso8601_utc("2024-02-29T00:00:00Z"), 19782 * 86400.0, kTimeTol);
  EXPECT_NEAR(parse_iso8601_utc("2100-03-01T00:00:00Z"), 47541 * 86400.0,
              kTimeTol);  // no leap year
  EXPECT_NEAR(parse_iso8601_utc("1969-12-31T23:59:59Z"), -1.0, kTimeTol);
  for (const char* text : {"2023-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
                           "2026-00-10T00:00:00Z", "2026-01-00T00:00:00Z"}) {
    EXPECT_TRUE(std::isnan(parse_iso8601_utc(text))) << text;
  }
}

TEST(JournalTime, EpochAndKnownDate) {
  EXPECT_EQ(iso8601_utc(0.0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601_utc(1.5), "1970-01-01T00:00:01.500Z");
  // 2024-02-29T12:34:56Z = 1709210096 (a leap day).
  EXPECT_EQ(iso8601_utc(1709210096.0), "2024-02-29T12:34:56.000Z");
  EXPECT_EQ(iso8601_utc(1709210096.25), "2024-02-29T12:34:56.250Z");
}

TEST(JournalTime, MillisecondsRoundIntoTheNextSecond) {
  EXPECT_EQ(iso8601_utc(1.9996), "1970-01-01T00:00:02.000Z");
  EXPECT_EQ(iso8601_utc(59.9999), "1970-01-01T00:01:00.000Z");
  // The carry crosses a day (and a year) boundary: 1970-12-31T23:59:59.9996.
  EXPECT_EQ(iso8601_utc(31535999.9996), "1971-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601_utc(1.9994), "1970-01-01T00:00:01.999Z");
}

TEST(JournalTime, WritesAndReadsTheSameForm) {
  for (const double t : {0.0, 1.001, 1764645141.16, 1764645141.999, -1.25}) {
    EXPECT_NEAR(parse_iso8601_utc(iso8601_utc(t)), std::round(t * 1000.0) / 1000.0, kTimeTol) << t;
  }
}

}  // namespace
}  // namespace lorahpo
