#include "master/journal/journal_time.h"

#include <cctype>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace lorahpo {
namespace {

/// Reads `count` digits at text[pos] into value; false if they are not all digits.
bool read_digits(const std::string& text, std::size_t pos, std::size_t count, int& value) {
  if (pos + count > text.size()) return false;
  value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

bool is_leap_year(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[month - 1];
}

/// Days from 1970-01-01 to year-month-day in the proleptic Gregorian calendar: Howard Hinnant's
/// days_from_civil ("chrono-Compatible Low-Level Date Algorithms"), the algorithm behind
/// std::chrono::sys_days. Written out because libstdc++ 10 (Debian 11) lacks the C++20 calendar
/// types, and timegm() would go through the C library's time zone state.
long days_from_civil(int year, int month, int day) {
  const int y = month <= 2 ? year - 1 : year;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int year_of_era = y - era * 400;  // [0, 399]
  const int day_of_year =
      (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;  // [0, 365]
  const int day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return static_cast<long>(era) * 146097L + day_of_era - 719468L;
}

}  // namespace

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

double parse_iso8601_utc(const std::string& text) {
  const double invalid = std::nan("");
  // YYYY-MM-DDTHH:MM:SS
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_digits(text, 0, 4, year) || text.size() < 19 || text[4] != '-' ||
      !read_digits(text, 5, 2, month) || text[7] != '-' || !read_digits(text, 8, 2, day) ||
      text[10] != 'T' || !read_digits(text, 11, 2, hour) || text[13] != ':' ||
      !read_digits(text, 14, 2, minute) || text[16] != ':' || !read_digits(text, 17, 2, second)) {
    return invalid;
  }
  std::size_t pos = 19;
  double fraction = 0.0;
  if (pos < text.size() && text[pos] == '.') {
    double scale = 0.1;
    ++pos;
    const std::size_t first = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      fraction += scale * (text[pos] - '0');
      scale /= 10.0;
      ++pos;
    }
    if (pos == first) return invalid;
  }
  if (text.compare(pos, std::string::npos, "Z") != 0) return invalid;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return invalid;
  }
  return static_cast<double>(days_from_civil(year, month, day)) * 86400.0 + hour * 3600.0 +
         minute * 60.0 + second + fraction;
}

}  // namespace lorahpo
