#include "master/trial_record.h"

#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace lorahpo {

std::string iso8601_utc(double unix_seconds) {
  const double whole = std::floor(unix_seconds);
  const auto seconds = static_cast<std::time_t>(whole);
  int millis = static_cast<int>(std::lround((unix_seconds - whole) * 1000.0));
  std::time_t shown = seconds;
  if (millis == 1000) {
    millis = 0;
    ++shown;
  }
  std::tm utc{};
  gmtime_r(&shown, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

}  // namespace lorahpo
