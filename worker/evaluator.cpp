#include "worker/evaluator.h"

#include "worker/builtin_objective.h"
#include "worker/command_evaluator.h"
#include "worker/litgpt_evaluator.h"

namespace lorahpo {

EvaluationOutcome EvaluationOutcome::ok(double score) {
  EvaluationOutcome outcome;
  outcome.score = score;
  return outcome;
}

EvaluationOutcome EvaluationOutcome::failed(std::string reason) {
  EvaluationOutcome outcome;
  outcome.status = TrialStatus::kFailed;
  outcome.reason = std::move(reason);
  return outcome;
}

EvaluationOutcome EvaluationOutcome::error(std::string reason) {
  EvaluationOutcome outcome;
  outcome.status = TrialStatus::kError;
  outcome.reason = std::move(reason);
  return outcome;
}

std::unique_ptr<Evaluator> make_evaluator(const SetupMessage& setup) {
  switch (setup.objective.kind) {
    case ObjectiveKind::kBuiltin:
      return std::make_unique<BuiltinEvaluator>(setup.objective.builtin, setup.space, setup.seed);
    case ObjectiveKind::kCommand:
      return std::make_unique<CommandEvaluator>(setup.objective.command, setup.space,
                                                setup.config_dir);
    case ObjectiveKind::kLitgpt:
      return std::make_unique<LitgptEvaluator>(setup.objective.litgpt, setup.space,
                                               setup.config_dir);
  }
  return nullptr;
}

}  // namespace lorahpo
