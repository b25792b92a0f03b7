#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "common/messages.h"

namespace lorahpo {

/// What one evaluation produced.
struct EvaluationOutcome {
  TrialStatus status = TrialStatus::kOk;
  double score = 0.0;
  std::string reason;
  nlohmann::json metrics = nlohmann::json::object();

  static EvaluationOutcome ok(double score);
  static EvaluationOutcome failed(std::string reason);
  static EvaluationOutcome error(std::string reason);
};

/// Turns one point (user values) into a score. Implementations must not throw for an outcome
/// of the point itself: they return kFailed with the reason.
class Evaluator {
 public:
  virtual ~Evaluator() = default;
  virtual EvaluationOutcome evaluate(const EvaluateMessage& request) = 0;
};

/// The evaluator the setup message describes. Throws std::invalid_argument if it cannot be
/// built (unknown builtin function, search space that does not fit it).
std::unique_ptr<Evaluator> make_evaluator(const SetupMessage& setup);

}  // namespace lorahpo
