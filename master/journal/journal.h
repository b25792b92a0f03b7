#pragma once

#include <cstdio>
#include <string>

#include "common/search_space.h"
#include "master/journal/trial_record.h"

namespace lorahpo {

/// The campaign's truth (STYLE.md): journal.jsonl gets one JSON object per line (the format is
/// journal_codec.h's), written,
/// flushed and fdatasync'ed before the next decision, so a kill loses at most the line being
/// written (read_journal drops such a torn line). Lines without an "event" key are finished
/// evaluations; lines with one are campaign events: the header ("campaign"), each call of the
/// optimizer's ask ("ask", with the trial ids and points it returned, so that a resumed campaign
/// replays ask and tell in their original order), stops and lost workers. results.csv gets the
/// evaluations again, for pandas or a spreadsheet.
class Journal {
 public:
  /// Opens (appending) journal.jsonl and results.csv in run_dir. Throws std::runtime_error.
  Journal(const std::string& run_dir, SearchSpace space);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  void append(const TrialRecord& record);
  /// A row of results.csv only (rebuilding the table from the journal on --resume).
  void append_csv(const TrialRecord& record);
  /// A campaign event (a line with an "event" key), built by journal_codec.h: the header, an
  /// ask, a resume, a stop, a lost worker.
  void append_event(const nlohmann::ordered_json& event);

  /// The journal line of a record (no trailing newline).
  std::string to_json_line(const TrialRecord& record) const;
  /// The CSV header and row of a record.
  std::string csv_header() const;
  std::string to_csv_row(const TrialRecord& record) const;

 private:
  SearchSpace space_;
  std::FILE* journal_ = nullptr;
  std::FILE* csv_ = nullptr;
};

}  // namespace lorahpo
