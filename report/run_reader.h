#pragma once

#include <istream>
#include <string>

#include "master/journal/journal_codec.h"
#include "report/run_data.h"

namespace lorahpo::report {

/// What the journal alone says: its trials and whatever its "campaign" header gives.
struct JournalContents {
  std::vector<TrialEntry> trials;
  /// The first "campaign" event, if any (journal_codec.h: the header is the first one, as for
  /// --resume), as written: metadata reads fields older headers kept at the top level.
  std::optional<nlohmann::ordered_json> header;
  int header_line = 0;
  /// The last "resume" event that names its budget: the budget and workers the campaign has
  /// now (the header's are those at its creation; a resumed job may raise the budget).
  std::optional<ResumeEvent> last_resume;
  int skipped_lines = 0;
  int resumes = 0;
};

/// Parses journal.jsonl with the journal's codec (journal_codec.h). Events: "campaign" fills the
/// header, "resume" is counted, any other event is ignored. Every other line is a trial. A line
/// that is not valid JSON (a torn last line after a kill, a stray blank) or a trial line the
/// codec cannot decode (no id, status or unit) is skipped and counted, never fatal. `path` only
/// names the journal in messages.
JournalContents parse_journal(std::istream& in, const std::string& path = "journal.jsonl");

/// Reads RUN_DIR: journal.jsonl (required), then metadata from the journal's "campaign" header
/// (name, budget, workers, and its identity's optimizer and direction; the last "resume" event's
/// budget and workers), else summary.json, else config.yaml. The parameters (names, kinds, pow10
/// -> log axis, categories) come from the header's identity.space, decoded by the journal codec.
/// Only a format-1 journal older than identity.space (written before --resume existed) falls back
/// to config.yaml's search_space, and one without either to the records themselves: a float
/// whose log10 is affine in its unit coordinate is pow10. Throws ReportError when the directory or
/// its journal is missing, the journal holds no trial, or is of a format this lorahpo cannot read.
RunData read_run(const std::string& run_dir);

/// The name of a run directory as legends show it: its last path component ("runs/a/" -> "a").
std::string run_label(const std::string& run_dir);

}  // namespace lorahpo::report
