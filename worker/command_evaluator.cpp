#include "worker/command_evaluator.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "common/placeholder_template.h"
#include "common/signal_name.h"
#include "worker/child_process.h"
#include "worker/score_reader.h"

namespace lorahpo {

const std::vector<std::string>& trial_placeholders() {
  static const std::vector<std::string> kNames = {"trial_dir", "trial_id", "config_dir",
                                                  "replicate"};
  return kNames;
}

std::optional<std::string> trial_placeholder(const std::string& name,
                                             const EvaluateMessage& request,
                                             const std::string& config_dir) {
  if (name == "trial_dir") return request.trial_dir;
  if (name == "trial_id") return std::to_string(request.trial_id);
  if (name == "config_dir") return config_dir;
  // 0, or k for the k-th re-check of the point: a command that trains should seed with it.
  if (name == "replicate") return std::to_string(request.replicate);
  return std::nullopt;
}

void set_environment_entry(std::vector<std::string>& environment, const std::string& entry) {
  const std::size_t equals = entry.find('=');
  const std::string prefix =
      entry.substr(0, equals == std::string::npos ? entry.size() : equals) + "=";
  environment.erase(std::remove_if(environment.begin(), environment.end(),
                                   [&](const std::string& e) {
                                     return e.compare(0, prefix.size(), prefix) == 0;
                                   }),
                    environment.end());
  environment.push_back(entry);
}

std::vector<std::string> trial_environment(const EvaluateMessage& request,
                                           const std::vector<std::string>& extra) {
  std::vector<std::string> environment = clean_environment();
  set_environment_entry(environment, "LORAHPO_TRIAL_DIR=" + request.trial_dir);
  set_environment_entry(environment, "LORAHPO_TRIAL_ID=" + std::to_string(request.trial_id));
  set_environment_entry(environment, "LORAHPO_REPLICATE=" + std::to_string(request.replicate));
  for (const auto& entry : extra) set_environment_entry(environment, entry);
  return environment;
}

CommandEvaluator::CommandEvaluator(CommandObjective objective, SearchSpace space,
                                   std::string config_dir)
    : objective_(std::move(objective)),
      space_(std::move(space)),
      config_dir_(std::move(config_dir)) {}

EvaluationOutcome CommandEvaluator::evaluate(const EvaluateMessage& request) {
  const auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    if (auto value = trial_placeholder(name, request, config_dir_)) return value;
    const int index = space_.index_of(name);
    if (index < 0) return std::nullopt;
    return format_value(request.params.at(static_cast<std::size_t>(index)));
  };

  ChildSpec spec;
  std::string result_path;
  std::vector<std::string> extra_environment;
  try {
    for (const auto& arg : objective_.argv) spec.argv.push_back(expand_placeholders(arg, lookup));
    for (const auto& [key, value] : objective_.env) {
      extra_environment.push_back(key + "=" + expand_placeholders(value, lookup));
    }
    if (!objective_.result.file.empty())
      result_path = expand_placeholders(objective_.result.file, lookup);
  } catch (const std::invalid_argument& e) {
    // The config loader checks templates; reaching this means a worker got a bad setup.
    return EvaluationOutcome::error(std::string("command template: ") + e.what());
  }
  std::error_code ec;
  std::filesystem::create_directories(request.trial_dir, ec);
  if (ec)
    return EvaluationOutcome::error("cannot create " + request.trial_dir + ": " + ec.message());

  spec.working_dir = request.trial_dir;
  spec.stdout_path = request.trial_dir + "/stdout.log";
  spec.stderr_path = request.trial_dir + "/stderr.log";
  spec.timeout_seconds = objective_.timeout_seconds;
  spec.environment = trial_environment(request, extra_environment);

  const ChildExit exit = run_child(spec);
  switch (exit.kind) {
    case ChildExit::Kind::kSpawnFailed:
      return EvaluationOutcome::error(fmt::format("{} ({})", exit.error, spec.argv.front()));
    case ChildExit::Kind::kTimedOut:
      return EvaluationOutcome::failed(
          fmt::format("timed out after {} s (process group killed)", objective_.timeout_seconds));
    case ChildExit::Kind::kCancelled:
    case ChildExit::Kind::kStopped:  // (no stop_check is set for a command)
      return EvaluationOutcome::error("cancelled by rank 0 (process group killed)");
    case ChildExit::Kind::kSignaled:
      return EvaluationOutcome::error(
          fmt::format("killed by signal {} ({})", exit.signal, signal_name(exit.signal)));
    case ChildExit::Kind::kExited:
      break;
  }
  if (exit.exit_code != 0) {
    std::string reason = fmt::format("exited with code {}", exit.exit_code);
    const std::string last = last_line_of(spec.stderr_path);
    if (!last.empty()) reason += ": " + (last.size() > 200 ? last.substr(0, 200) + "..." : last);
    return EvaluationOutcome::failed(reason);
  }

  ScoreReading reading;
  if (objective_.result.file.empty()) {
    reading = read_score_from_stdout(spec.stdout_path);
  } else {
    if (std::filesystem::path(result_path).is_relative())
      result_path = request.trial_dir + "/" + result_path;
    reading = read_score_from_json_file(result_path, objective_.result.pointer);
  }
  if (!reading.ok) return EvaluationOutcome::failed(reading.reason);
  EvaluationOutcome outcome = EvaluationOutcome::ok(reading.score);
  outcome.metrics["seconds"] = exit.seconds;
  return outcome;
}

}  // namespace lorahpo
