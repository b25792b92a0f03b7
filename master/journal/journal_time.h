#pragma once

#include <string>

namespace lorahpo {

/// The journal's one timestamp form, for every time it holds (trial start and end, the header's
/// "created", the "time" of events): RFC 3339 in UTC with milliseconds and a 'Z',
/// "2026-11-26T20:18:03.123Z". Resume and `lorahpo report` read times with the same function.
std::string iso8601_utc(double unix_seconds);

/// Seconds since the Unix epoch of a time in that form; the fraction may have any number of
/// digits or be absent ("2026-11-26T20:18:03Z", as hand-written test journals have it), the 'Z'
/// is required. NaN for anything else (another zone, a date that does not exist).
double parse_iso8601_utc(const std::string& text);

}  // namespace lorahpo
