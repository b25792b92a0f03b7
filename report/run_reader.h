#pragma once

#include <istream>
#include <string>

#include "report/run_data.h"

namespace lorahpo::report {

/// What the journal alone says: its trials and whatever its "campaign" header gives.
struct JournalContents {
  std::vector<TrialEntry> trials;
  std::optional<nlohmann::ordered_json> header;  ///< the first "campaign" event, if any
  int skipped_lines = 0;
  int resumes = 0;
};

/// Parses journal.jsonl. Lines with an "event" key are campaign events: "campaign" fills the
/// header, "resume" is counted, any other event is ignored. Every other line is a trial. A line
/// that is not valid JSON (a torn last line after a kill, a stray blank) is skipped and counted,
/// never fatal.
JournalContents parse_journal(std::istream& in);

/// Reads RUN_DIR: journal.jsonl (required), then metadata from the journal's "campaign" header
/// (name, budget, workers, and its identity's optimizer and direction), else summary.json, else
/// config.yaml. The parameters' plotting info (pow10 -> log axis, categories) comes from the
/// header's identity.space, else config.yaml's search_space, else the records themselves: a float
/// whose log10 is affine in its unit coordinate is pow10. Throws ReportError when the directory or
/// its journal is missing or the journal holds no trial.
RunData read_run(const std::string& run_dir);

/// The name of a run directory as legends show it: its last path component ("runs/a/" -> "a").
std::string run_label(const std::string& run_dir);

}  // namespace lorahpo::report
