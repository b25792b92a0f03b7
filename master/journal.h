#pragma once

#include <cstdio>
#include <string>

#include "common/search_space.h"
#include "master/trial_record.h"

namespace lorahpo {

/// The campaign's truth (STYLE.md): journal.jsonl gets one JSON object per finished evaluation,
/// written, flushed and fdatasync'ed before the next decision, so a kill loses at most the line
/// being written. results.csv gets the same rows for pandas or a spreadsheet.
class Journal {
 public:
  /// Opens (appending) journal.jsonl and results.csv in run_dir. Throws std::runtime_error.
  Journal(const std::string& run_dir, SearchSpace space);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  void append(const TrialRecord& record);

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
