#include "master/journal/journal_reader.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "common/config_error.h"
#include "master/journal/journal_codec.h"

namespace lorahpo {
namespace {

TrialStatus status_from_text(const std::string& text, const std::string& path, int line) {
  for (const TrialStatus status :
       {TrialStatus::kOk, TrialStatus::kFailed, TrialStatus::kError, TrialStatus::kApproximated}) {
    if (text == to_string(status)) return status;
  }
  throw ConfigError(path, line, "status", "unknown status '" + text + "'");
}

}  // namespace

JournalContents read_journal(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw ConfigError(path, 0, "",
                      fmt::format("cannot read the journal: {}", std::strerror(errno)));
  }
  JournalContents contents;
  std::string text;
  int number = 0;
  std::uintmax_t offset = 0;
  int bad_line = 0;  // a line that is not a JSON object; fine only if nothing follows it
  while (std::getline(file, text)) {
    ++number;
    if (file.eof()) {
      // The last line lacks its newline: a write cut short. Its bytes are dropped even when
      // they parse: a line is durable with its newline only.
      contents.torn_tail = true;
      break;
    }
    if (bad_line != 0) break;
    nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded() || !value.is_object()) {
      bad_line = number;
      continue;
    }
    contents.lines.push_back(JournalLine{number, std::move(value)});
    offset += text.size() + 1;
    contents.intact_bytes = offset;
  }
  if (bad_line != 0) {
    if (bad_line != number) {
      throw ConfigError(path, bad_line, "",
                        "is not a JSON object: the journal is damaged or is not a lorahpo "
                        "journal (only its last line may be torn)");
    }
    contents.torn_tail = true;  // a garbled last line: a torn write too
  }
  return contents;
}

void drop_torn_tail(const std::string& path, const JournalContents& contents) {
  if (!contents.torn_tail) return;
  if (truncate(path.c_str(), static_cast<off_t>(contents.intact_bytes)) != 0) {
    throw std::runtime_error(
        fmt::format("cannot truncate the torn last line of {}: {}", path, std::strerror(errno)));
  }
}

bool is_trial_line(const nlohmann::json& line) {
  return !line.contains("event");
}

TrialRecord trial_from_line(const JournalLine& line, const SearchSpace& space,
                            const std::string& path) {
  const TrialLine t = decode_trial_line(nlohmann::ordered_json(line.value), path, line.number);
  TrialRecord record;
  record.id = t.id;
  record.status = status_from_text(t.status, path, line.number);
  record.score = t.score;
  record.reason = t.reason;
  record.unit = t.unit;
  if (static_cast<int>(record.unit.size()) != space.dim()) {
    throw ConfigError(path, line.number, "unit",
                      fmt::format("has {} coordinates, the search space {} parameters",
                                  record.unit.size(), space.dim()));
  }
  for (double u : record.unit) {
    if (!std::isfinite(u) || u < 0.0 || u > 1.0) {
      throw ConfigError(path, line.number, "unit", "has a coordinate outside [0, 1]");
    }
  }
  record.params = space.to_user(record.unit);  // the unit point is the truth, params its image
  record.worker = t.worker;
  record.host = t.host;
  record.start_unix = t.start_unix.value_or(0.0);
  record.end_unix = t.end_unix.value_or(record.start_unix);
  if (t.metrics.is_object()) record.metrics = t.metrics;
  record.attempt = t.attempt;
  record.retried = t.retried;
  record.optimizer = t.optimizer;
  record.recheck_of = t.recheck_of;
  record.replicate = t.replicate;
  return record;
}

}  // namespace lorahpo
