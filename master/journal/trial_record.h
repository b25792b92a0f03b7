#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/messages.h"
#include "common/search_space.h"
#include "master/journal/journal_time.h"  // the times a record holds are journal times

namespace lorahpo {

/// The reason rank 0 journals for a re-check it cancelled (Scheduler::cancel_recheck): not a
/// result of the point and no work done; the scheduler and `lorahpo report` both read it back.
inline constexpr const char* kRecheckCancelledPrefix = "re-check cancelled: ";
inline bool is_recheck_cancellation(const std::string& reason) {
  return reason.rfind(kRecheckCancelledPrefix, 0) == 0;
}

/// One finished evaluation as the journal and results.csv record it.
struct TrialRecord {
  std::int64_t id = 0;
  TrialStatus status = TrialStatus::kOk;
  std::optional<double> score;  ///< nullopt unless ok
  std::string reason;
  std::vector<ParamValue> params;
  std::vector<double> unit;
  int worker = 0;
  std::string host;
  double start_unix = 0.0;
  double end_unix = 0.0;
  nlohmann::json metrics = nlohmann::json::object();
  int attempt = 1;           ///< 2, 3, ...: a retry after an infrastructure error
  bool retried = false;      ///< an error that was retried: not a result of the point
  nlohmann::json optimizer;  ///< what the optimizer says of the point (SOO: tree depth); or null
  /// A re-check in the idle tail (RecheckPolicy): the evaluation whose point it measures again,
  /// and its replicate k (it trained with the campaign's seed + k). Not a budget evaluation.
  std::optional<std::int64_t> recheck_of;
  int replicate = 0;
};

}  // namespace lorahpo
