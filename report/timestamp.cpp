#include "report/timestamp.h"

#include <cctype>
#include <cstdlib>

namespace lorahpo::report {
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

bool is_leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

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
  const int day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;  // [0, 365]
  const int day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return static_cast<long>(era) * 146097L + day_of_era - 719468L;
}

}  // namespace

std::optional<double> parse_iso8601_utc(const std::string& text) {
  // YYYY-MM-DDTHH:MM:SS
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_digits(text, 0, 4, year) || text.size() < 19 || text[4] != '-' ||
      !read_digits(text, 5, 2, month) || text[7] != '-' || !read_digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != ' ') || !read_digits(text, 11, 2, hour) || text[13] != ':' ||
      !read_digits(text, 14, 2, minute) || text[16] != ':' || !read_digits(text, 17, 2, second)) {
    return std::nullopt;
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
    if (pos == first) return std::nullopt;
  }
  const std::string zone = text.substr(pos);
  if (!(zone.empty() || zone == "Z" || zone == "+00:00")) return std::nullopt;

  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return std::nullopt;
  }
  const long days_since_epoch = days_from_civil(year, month, day);
  return static_cast<double>(days_since_epoch) * 86400.0 + hour * 3600.0 + minute * 60.0 + second +
         fraction;
}

}  // namespace lorahpo::report
