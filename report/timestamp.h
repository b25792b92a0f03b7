#pragma once

#include <optional>
#include <string>

namespace lorahpo::report {

/// Seconds since the Unix epoch of an ISO 8601 UTC time as the journal writes it
/// ("2026-11-26T20:18:03.123Z"; the fraction and the Z are optional, "+00:00" is accepted).
/// nullopt for anything else.
std::optional<double> parse_iso8601_utc(const std::string& text);

}  // namespace lorahpo::report
