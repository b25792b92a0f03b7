#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lorahpo::report {

enum class Direction { kMaximize, kMinimize };

/// The journal's status strings; kUnknown for anything newer than this reader.
enum class TrialState { kOk, kFailed, kError, kApproximated, kUnknown };

/// "ok", "failed", "error", "approximated", "unknown".
const char* to_string(TrialState state);

/// One trial line of journal.jsonl (a line without an "event" key).
struct TrialEntry {
  std::int64_t id = 0;
  TrialState state = TrialState::kUnknown;
  std::optional<double> score;  ///< null unless ok (approximated points carry none either)
  std::string reason;
  nlohmann::ordered_json params = nlohmann::ordered_json::object();  ///< user values by name
  std::vector<double> unit;  ///< the optimizer's point, in parameter order
  int worker = 0;            ///< MPI rank; 0 for points no worker ran (approximated)
  std::string host;
  std::optional<double> start_unix;
  std::optional<double> end_unix;
  double duration = 0.0;
  nlohmann::json metrics = nlohmann::json::object();
  int attempt = 1;
  bool retried = false;      ///< an error that was sent again: not a final result
  std::optional<int> depth;  ///< SOO/BaMSOO tree depth ("optimizer.depth")
  /// A re-check in the idle tail: the evaluation it measured again. Not a budget evaluation.
  std::optional<std::int64_t> recheck_of;

  /// A final, real evaluation of the budget: ok, failed or error, not retried, no re-check.
  /// These are the points of the score plots and the best-so-far curve.
  bool is_final_evaluation() const;
};

/// How a parameter is plotted: a log axis for pow10 floats, named categories for categoricals.
struct ParameterInfo {
  std::string name;
  bool log_scale = false;
  bool categorical = false;
  std::vector<std::string> choices;  ///< for categoricals, in config order (else first seen)
};

/// What the run was: from the journal's "campaign" header when there is one, else summary.json,
/// else config.yaml.
struct RunMetadata {
  std::string name;
  std::string optimizer;
  std::optional<int> budget;
  Direction direction = Direction::kMaximize;
  std::optional<int> workers;
  std::optional<double> wall_seconds;
  /// config.yaml's objective.timeout: the reference of the GPU time saved when no trial is ok.
  std::optional<double> trial_timeout_seconds;
};

/// Everything the report needs from one run directory.
struct RunData {
  std::string dir;
  RunMetadata metadata;
  std::vector<TrialEntry> trials;         ///< journal order (the order results arrived)
  std::vector<ParameterInfo> parameters;  ///< search-space order
  int skipped_lines = 0;                  ///< torn or unparsable lines that were ignored
  int resumes = 0;                        ///< "resume" events seen
  /// summary.json's "recommended" (master/campaign/recommendation.h): the point with the best GP
  /// posterior mean; null until the campaign has ended (or for runs older than it).
  nlohmann::ordered_json recommended;
};

}  // namespace lorahpo::report
