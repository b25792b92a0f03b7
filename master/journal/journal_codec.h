#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/search_space.h"
#include "master/journal/trial_record.h"

namespace lorahpo {

/// The journal format: every line of journal.jsonl is built and read here, by the writers
/// (campaign, scheduler), by --resume and by `lorahpo report` alike, after Optuna's journal
/// storage (optuna/storages/journal/_base.py, JournalOperation in v4.1: one enum of operation
/// codes, one replayer for every reader).
///
/// Format 1 (this one): one JSON object a line. A line without an "event" key is a finished
/// evaluation; every other line is a campaign event, named by its "event":
///   campaign     the header, written once when the campaign is created (the first line);
///   ask          one call of the optimizer's ask: the ids and unit points it returned;
///   resume       each later job that continues the campaign (its budget and workers);
///   stop         a stop on a signal;
///   worker_lost  a worker given up as silent;
///   recheck      a re-check sent in the idle tail (rechecks in campaign_config.h): its id, the
///                evaluation it re-measures ("of") and its replicate (the seed offset).
/// A finished re-check is an evaluation line with "recheck_of" and "replicate". Both came after
/// the format's first release without changing any earlier line: a lorahpo older than them
/// refuses to resume such a journal at its first re-check line ("never proposed"), naming it.
/// A journal written before the header carried "format" is format 1 too: its lines are these.
///
/// The header is the FIRST "campaign" line, for every reader: it is written once, when the
/// campaign is created, and says what the campaign is (identity, the optimizer's budget, the
/// format and the lorahpo that started it). A later job appends a "resume" line, never a
/// header; what a job may change (budget, workers) is read from the last "resume" line. Resume
/// refuses a journal with a second header (two campaigns in one file); a report reads the first.
/// Raise kJournalFormat when a line changes meaning, so that a job of the new lorahpo refuses
/// a journal of the old one up front (OAR resubmits jobs across upgrades) instead of failing
/// half-way through its replay.
inline constexpr int kJournalFormat = 1;

enum class JournalLineType {
  kTrial,
  kCampaign,
  kAsk,
  kResume,
  kStop,
  kWorkerLost,
  kRecheck,
  kUnknown
};

/// The type of a parsed line: kTrial without an "event" key, kUnknown for an event this
/// lorahpo does not know (readers skip it).
JournalLineType line_type(const nlohmann::ordered_json& line);

/// The header ("event": "campaign").
struct CampaignHeader {
  int format = kJournalFormat;  ///< absent in journals older than the key: 1
  std::string lorahpo_version;  ///< the lorahpo that created the campaign; "" if absent
  std::string name;
  double created_unix = 0.0;
  int budget = 0;            ///< the budget at creation; a "resume" line may raise it
  int optimizer_budget = 0;  ///< the budget the optimizer is built with, on every resume too
  int workers = 0;           ///< at creation
  /// What makes two configs the same campaign (master/campaign/campaign_identity.h), with the
  /// resolved search space in "space" (encode_space); null in journals older than --resume.
  nlohmann::ordered_json identity;
};

/// A "resume" line: a later job's budget (it may be raised) and worker count.
struct ResumeEvent {
  double time_unix = 0.0;
  int budget = 0;
  int workers = 0;
};

/// The "trials" of an "ask" line: each id with its point in the unit cube.
struct AskedTrial {
  std::int64_t id = 0;
  std::vector<double> unit;
};

/// An evaluation line as written, before any search space reads it.
struct TrialLine {
  std::int64_t id = 0;
  std::string status;  ///< "ok", "failed", "error", "approximated"
  std::optional<double> score;
  std::string reason;
  nlohmann::ordered_json params =
      nlohmann::ordered_json::object();  ///< user values, in space order
  std::vector<double> unit;
  int worker = 0;
  std::string host;
  std::optional<double> start_unix;
  std::optional<double> end_unix;
  std::optional<double> duration;
  nlohmann::json metrics = nlohmann::json::object();
  int attempt = 1;
  bool retried = false;
  nlohmann::json optimizer;  ///< the optimizer's note on the point (SOO: {"depth": d}) or null
  std::optional<std::int64_t> recheck_of;  ///< a re-check: the evaluation it re-measures
  int replicate = 0;
};

/// A "recheck" line: a re-check sent to a worker.
struct RecheckEvent {
  std::int64_t id = 0;
  std::int64_t of = 0;
  int replicate = 1;
  double time_unix = 0.0;
};

// ---- Building lines (the writers) ----

/// The one serialization of a line (no newline): compact, invalid UTF-8 replaced.
std::string dump_line(const nlohmann::ordered_json& line);

/// The header; "format" and "lorahpo" follow "event", then the fields in their historic order.
nlohmann::ordered_json campaign_line(const CampaignHeader& header);
nlohmann::ordered_json ask_line(int n, const std::vector<AskedTrial>& trials);
nlohmann::ordered_json resume_line(const ResumeEvent& event);
nlohmann::ordered_json stop_line(const std::string& signal, double time_unix);
nlohmann::ordered_json worker_lost_line(int worker, std::int64_t trial, double time_unix);
nlohmann::ordered_json recheck_line(const RecheckEvent& event);
/// An evaluation line; its "params" are `space`'s user values of the record.
nlohmann::ordered_json trial_line(const TrialRecord& record, const SearchSpace& space);

/// The search space as the header's identity.space holds it: an array of {name, type, low,
/// high | choices, transform (pow10 only)}.
nlohmann::ordered_json encode_space(const SearchSpace& space);

// ---- Reading lines (--resume and `lorahpo report`) ----
// `path` and `line` only name the place in the ConfigError each decoder throws for a missing
// or mistyped field. A time that is absent or not in journal_time.h's form reads as nullopt
// (0 in the header and resume line): times are for people, a replay never needs one.

/// The header of a "campaign" line. Throws ConfigError.
CampaignHeader decode_campaign_line(const nlohmann::ordered_json& line, const std::string& path,
                                    int line_number);
/// Throws ConfigError unless `header` is of kJournalFormat: one line naming the file, the
/// format found and the one this lorahpo reads.
void check_format(const CampaignHeader& header, const std::string& path, int line_number);
ResumeEvent decode_resume_line(const nlohmann::ordered_json& line, const std::string& path,
                               int line_number);
RecheckEvent decode_recheck_line(const nlohmann::ordered_json& line, const std::string& path,
                                 int line_number);
/// An evaluation line: id, status and unit are required (and score when ok); the rest may be
/// absent. Throws ConfigError.
TrialLine decode_trial_line(const nlohmann::ordered_json& line, const std::string& path,
                            int line_number);
/// The parameters of identity.space (encode_space's form); nullopt when the header has none
/// (journals older than --resume). Throws ConfigError for an entry it cannot read.
std::optional<std::vector<Parameter>> decode_space(const CampaignHeader& header,
                                                   const std::string& path, int line_number);

}  // namespace lorahpo
