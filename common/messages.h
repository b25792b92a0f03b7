#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include <cereal/archives/binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include "common/campaign_config.h"
#include "common/search_space.h"

namespace lorahpo {

/// The kinds of message between rank 0 and the workers; the value is the MPI tag.
/// kHeartbeat: a busy worker is alive (worker -> rank 0). kCancel: give up the running
/// evaluation (rank 0 -> worker, when a campaign stops on a signal). kPreflight and
/// kPreflightReport: `lorahpo preflight`'s request (rank 0 -> worker) and one node's report
/// (worker -> rank 0), worker/node_check.h.
enum class MessageTag : int {
  kSetup = 1,
  kEvaluate = 2,
  kResult = 3,
  kShutdown = 4,
  kHeartbeat = 5,
  kCancel = 6,
  kPreflight = 7,
  kPreflightReport = 8
};

/// How one evaluation ended. kFailed is a real outcome of the point (bad exit, timeout, no
/// score: NOMAD's "failed evaluation", never resubmitted); kError is an infrastructure problem
/// (the evaluation could not be run at all) that may be retried elsewhere.
/// kApproximated is no evaluation at all: a point BaMSOO scored with its GP bound, journaled
/// so that a run can be audited.
enum class TrialStatus { kOk, kFailed, kError, kApproximated };
const char* to_string(TrialStatus status);

/// How an error's reason starts when the worker's node, not the point, cannot run trials (its
/// visible GPUs do not number objective.devices: worker/gpu_inventory.h). Rank 0 gives that
/// worker no more work, so that it cannot take every retry while the healthy ones train.
inline constexpr const char* kNodeFaultPrefix = "node fault: ";
inline bool is_node_fault(TrialStatus status, const std::string& reason) {
  return status == TrialStatus::kError && reason.rfind(kNodeFaultPrefix, 0) == 0;
}

/// Rank 0 -> every worker, once: what to evaluate and how.
struct SetupMessage {
  ObjectiveConfig objective;
  SearchSpace space;
  std::uint64_t seed = 0;
  std::string config_dir;  ///< absolute directory of the YAML file ({config_dir} in templates)
  double heartbeat_seconds = 10.0;  ///< how often a busy worker tells rank 0 it is alive

  template <class Archive>
  void serialize(Archive& archive) {
    archive(objective, space, seed, config_dir, heartbeat_seconds);
  }
};

/// Rank 0 -> one worker: evaluate this point.
struct EvaluateMessage {
  std::int64_t trial_id = 0;
  std::vector<ParamValue> params;  ///< user values, in search-space order
  std::string trial_dir;           ///< absolute; the worker creates it
  /// 0 for a budget evaluation; k for the k-th re-check of the point (rechecks in
  /// campaign_config.h), which trains with another seed: the campaign's seed + k.
  int replicate = 0;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(trial_id, params, trial_dir, replicate);
  }
};

/// One worker -> rank 0: the outcome of an EvaluateMessage.
struct ResultMessage {
  std::int64_t trial_id = 0;
  TrialStatus status = TrialStatus::kOk;
  double score = 0.0;        ///< meaningful when status == kOk
  std::string reason;        ///< why it failed; empty when ok
  std::string metrics_json;  ///< extra metrics as a JSON object ("{}" when none)
  std::string host;
  double start_unix = 0.0;  ///< seconds since the epoch
  double end_unix = 0.0;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(trial_id, status, score, reason, metrics_json, host, start_unix, end_unix);
  }
};

/// cereal binary encoding of a message as a byte string (KaMPIng's way of sending objects).
template <class T>
std::string encode(const T& message) {
  std::ostringstream stream;
  {
    cereal::BinaryOutputArchive archive(stream);
    archive(message);
  }
  return stream.str();
}

/// Inverse of encode. Throws cereal::Exception on a truncated buffer.
template <class T>
T decode(const std::string& bytes) {
  std::istringstream stream(bytes);
  cereal::BinaryInputArchive archive(stream);
  T message;
  archive(message);
  return message;
}

}  // namespace lorahpo
