#include "master/journal/journal_reader.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "common/config_error.h"

namespace lorahpo {
namespace {

TrialStatus status_from_text(const std::string& text, const std::string& path, int line) {
  for (const TrialStatus status : {TrialStatus::kOk, TrialStatus::kFailed, TrialStatus::kError,
                                   TrialStatus::kApproximated}) {
    if (text == to_string(status)) return status;
  }
  throw ConfigError(path, line, "status", "unknown status '" + text + "'");
}

}  // namespace

JournalContents read_journal(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw ConfigError(path, 0, "", fmt::format("cannot read the journal: {}", std::strerror(errno)));
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

bool is_trial_line(const nlohmann::json& line) { return !line.contains("event"); }

TrialRecord trial_from_line(const JournalLine& line, const SearchSpace& space,
                            const std::string& path) {
  const nlohmann::json& v = line.value;
  const auto field = [&](const char* key) -> const nlohmann::json& {
    if (!v.contains(key)) throw ConfigError(path, line.number, key, "is missing");
    return v.at(key);
  };
  try {
    TrialRecord record;
    record.id = field("id").get<std::int64_t>();
    record.status = status_from_text(field("status").get<std::string>(), path, line.number);
    if (record.status == TrialStatus::kOk) record.score = field("score").get<double>();
    record.reason = v.value("reason", "");
    record.unit = field("unit").get<std::vector<double>>();
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
    record.params = space.to_user(record.unit);
    record.worker = v.value("worker", 0);
    record.host = v.value("host", "");
    record.start_unix = parse_iso8601_utc(v.value("start", ""));
    record.end_unix = parse_iso8601_utc(v.value("end", ""));
    if (std::isnan(record.start_unix)) record.start_unix = 0.0;
    if (std::isnan(record.end_unix)) record.end_unix = record.start_unix;
    if (v.contains("metrics") && v.at("metrics").is_object()) record.metrics = v.at("metrics");
    record.attempt = v.value("attempt", 1);
    record.retried = v.value("retried", false);
    if (v.contains("optimizer")) record.optimizer = v.at("optimizer");
    return record;
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(path, line.number, "", fmt::format("malformed evaluation line: {}", e.what()));
  }
}

}  // namespace lorahpo
