#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/campaign_config.h"
#include "worker/evaluator.h"

namespace lorahpo {

/// Placeholders every command template may use besides the parameter names.
const std::vector<std::string>& trial_placeholders();  // trial_dir, trial_id, config_dir

/// The value of one of trial_placeholders() for this request, or nullopt for any other name.
std::optional<std::string> trial_placeholder(const std::string& name,
                                             const EvaluateMessage& request,
                                             const std::string& config_dir);

/// Sets `entry` ("KEY=value") in `environment`, replacing every inherited KEY=... entry: with two
/// entries glibc's getenv and Python's os.environ take the first, so an appended one is ignored.
void set_environment_entry(std::vector<std::string>& environment, const std::string& entry);

/// A child's whole environment for this trial: clean_environment() (no MPI or scheduler
/// variables), then LORAHPO_TRIAL_DIR, LORAHPO_TRIAL_ID and each of `extra` ("KEY=value"), each
/// replacing the inherited variable of that name (set_environment_entry).
std::vector<std::string> trial_environment(const EvaluateMessage& request,
                                           const std::vector<std::string>& extra);

/// Runs an external program per evaluation (see CommandObjective): argv and result path are
/// expanded from their templates, the child runs in the trial directory in its own process
/// group with a cleaned environment, its stdout and stderr go to stdout.log and stderr.log there.
///
/// Outcomes: exit 0 with a readable finite score -> ok; a non-zero exit, a timeout, a missing,
/// unreadable or oversized result, an absent pointer or a non-finite score -> failed (the point's
/// own outcome); a program that cannot be started or is killed by a signal it did not get from
/// us -> error (infrastructure).
class CommandEvaluator final : public Evaluator {
 public:
  CommandEvaluator(CommandObjective objective, SearchSpace space, std::string config_dir);
  EvaluationOutcome evaluate(const EvaluateMessage& request) override;

 private:
  CommandObjective objective_;
  SearchSpace space_;
  std::string config_dir_;
};

}  // namespace lorahpo
