#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/search_space.h"
#include "master/journal/trial_record.h"

namespace lorahpo {

/// One line of journal.jsonl, parsed.
struct JournalLine {
  int number = 0;  ///< 1-based, for messages
  nlohmann::json value;
};

/// A journal as read back for --resume or a report.
struct JournalContents {
  std::vector<JournalLine> lines;
  /// Bytes of the complete lines; a torn tail lies beyond them.
  std::uintmax_t intact_bytes = 0;
  /// A last line cut short by a kill (no newline, or not valid JSON): dropped, never an error.
  bool torn_tail = false;
};

/// Reads journal.jsonl. A last line without its newline or that is not valid JSON is a torn
/// write and is dropped; a bad line before the last one means the file was damaged or is not
/// a journal: ConfigError naming the file and the line. Lines must be JSON objects.
JournalContents read_journal(const std::string& path);

/// Cuts a torn tail off the file, so that appending goes on after the last complete line.
/// Throws std::runtime_error.
void drop_torn_tail(const std::string& path, const JournalContents& contents);

/// True for an evaluation line (no "event" key): line_type(line) == JournalLineType::kTrial.
bool is_trial_line(const nlohmann::json& line);

/// An evaluation line back as a record (params recomputed from the unit point by `space`).
/// Throws ConfigError naming `path` and the line when a field is missing or of the wrong type.
TrialRecord trial_from_line(const JournalLine& line, const SearchSpace& space,
                            const std::string& path);

}  // namespace lorahpo
