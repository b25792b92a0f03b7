#include "master/campaign/measurement_noise.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

namespace lorahpo {
namespace {

/// LitGPT: the median over the ok evaluations of lm_eval's standard error of the objective's
/// metric ("acc_norm,none" -> "acc_norm_stderr,none" in the task's metrics).
std::optional<double> lm_eval_stderr(const CampaignConfig& config,
                                     const std::vector<TrialRecord>& records) {
  const MetricSpec& spec = config.objective.litgpt.objective;
  const std::size_t comma = spec.metric.find(',');
  const std::string key = comma == std::string::npos ? spec.metric + "_stderr"
                                                     : spec.metric.substr(0, comma) + "_stderr" +
                                                           spec.metric.substr(comma);
  std::vector<double> errors;
  for (const TrialRecord& r : records) {
    if (r.status != TrialStatus::kOk || !r.metrics.is_object()) continue;
    const auto task = r.metrics.find(spec.task);
    if (task == r.metrics.end() || !task->is_object()) continue;
    const auto value = task->find(key);
    if (value != task->end() && value->is_number() && std::isfinite(value->get<double>()) &&
        value->get<double>() > 0.0) {
      errors.push_back(value->get<double>());
    }
  }
  if (errors.empty()) return std::nullopt;
  std::sort(errors.begin(), errors.end());
  return errors[errors.size() / 2];
}

}  // namespace

std::optional<ReplicateSpread> replicate_spread(const std::vector<TrialRecord>& records) {
  std::map<std::vector<double>, std::vector<double>> scores;
  for (const TrialRecord& r : records) {
    if (r.status != TrialStatus::kOk || !r.score || r.retried) continue;
    scores[r.unit].push_back(*r.score);
  }
  ReplicateSpread spread;
  double squares = 0.0;
  for (const auto& [unit, s] : scores) {
    if (s.size() < 2) continue;
    double mean = 0.0;
    for (double v : s) mean += v;
    mean /= static_cast<double>(s.size());
    for (double v : s) squares += (v - mean) * (v - mean);
    spread.degrees_of_freedom += static_cast<int>(s.size()) - 1;
    ++spread.points;
  }
  if (spread.degrees_of_freedom == 0) return std::nullopt;
  spread.sd = std::sqrt(squares / spread.degrees_of_freedom);
  return spread;
}

const char* to_string(NoiseSource source) {
  switch (source) {
    case NoiseSource::kLearned:
      return "learned";
    case NoiseSource::kObjective:
      return "objective";
    case NoiseSource::kReplicates:
      return "replicates";
    case NoiseSource::kLmEvalStderr:
      return "lm_eval_stderr";
  }
  return "learned";
}

MeasurementNoise measurement_noise(const CampaignConfig& config,
                                   const std::vector<TrialRecord>& records) {
  MeasurementNoise noise;
  noise.replicates = replicate_spread(records);
  if (config.objective.kind == ObjectiveKind::kBuiltin && config.objective.builtin.noise_sd > 0.0) {
    noise.sd = config.objective.builtin.noise_sd;
    noise.source = NoiseSource::kObjective;
    return noise;
  }
  if (noise.replicates && noise.replicates->degrees_of_freedom >= kMinReplicateDegreesOfFreedom) {
    noise.sd = noise.replicates->sd;
    noise.source = NoiseSource::kReplicates;
    return noise;
  }
  if (config.objective.kind == ObjectiveKind::kLitgpt) {
    if (const auto se = lm_eval_stderr(config, records)) {
      noise.sd = *se;
      noise.source = NoiseSource::kLmEvalStderr;
    }
  }
  return noise;
}

nlohmann::ordered_json to_json(const MeasurementNoise& noise) {
  nlohmann::ordered_json json;
  json["sd"] = nullptr;  // nlohmann 3.9 (Debian 11) has no conditional of json and nullptr
  if (noise.sd) json["sd"] = *noise.sd;
  json["source"] = to_string(noise.source);
  json["replicates"] = nullptr;
  if (noise.replicates) {
    json["replicates"] = {{"sd", noise.replicates->sd},
                          {"degrees_of_freedom", noise.replicates->degrees_of_freedom},
                          {"points", noise.replicates->points}};
  }
  return json;
}

}  // namespace lorahpo
