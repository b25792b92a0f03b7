#pragma once

#include <stdexcept>
#include <string>

namespace lorahpo::report {

/// A run directory that cannot be reported on (missing, no journal, no trial in it) or an output
/// directory that cannot be written: caught once in main(), printed as one `error: ...` line,
/// exit 2.
class ReportError : public std::runtime_error {
 public:
  explicit ReportError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace lorahpo::report
