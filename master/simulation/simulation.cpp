#include "master/simulation/simulation.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/config_error.h"
#include "master/campaign/campaign.h"

namespace lorahpo {
namespace {

void check_option(bool ok, const std::string& key, const std::string& message) {
  if (!ok) throw ConfigError("lorahpo simulate", 0, key, message);
}

}  // namespace

void check_simulation(const CampaignConfig& config, const SimulationOptions& options) {
  if (config.objective.kind != ObjectiveKind::kBuiltin) {
    throw ConfigError(config.source_path, 0, "objective.kind",
                      fmt::format("is {}: lorahpo simulate evaluates builtin objectives only (a "
                                  "command or a training run cannot be simulated)",
                                  to_string(config.objective.kind)));
  }
  check_option(options.workers >= 1, "--workers", "must be >= 1");
  check_option(std::isfinite(options.training_time_scale) && options.training_time_scale >= 0.0,
               "--time-scale", "must be a finite number >= 0");
  check_option(!options.eval_seconds ||
                   (std::isfinite(*options.eval_seconds) && *options.eval_seconds >= 0.0),
               "--eval-seconds", "must be a finite number >= 0");
  check_option(std::isfinite(options.master_time_scale) && options.master_time_scale >= 0.0,
               "--master-time-scale", "must be a finite number >= 0");
  check_option(std::isfinite(options.setup_seconds) && options.setup_seconds >= 0.0,
               "--setup-seconds", "must be a finite number >= 0");
}

SimulationResult run_simulation(const CampaignConfig& config, const std::string& run_dir,
                                const SimulationOptions& options) {
  check_simulation(config, options);

  const Clock& real = system_clock();  // how long the simulation itself takes
  const double real_start = real.monotonic_seconds();
  SimulatedTransportOptions transport_options;
  transport_options.workers = options.workers;
  transport_options.epoch_unix = options.epoch_unix.value_or(real.unix_seconds());
  transport_options.training_time_scale = options.training_time_scale;
  transport_options.eval_seconds = options.eval_seconds;
  transport_options.master_time_scale = options.master_time_scale;
  transport_options.setup_seconds = options.setup_seconds;
  SimulatedTransport transport(transport_options);

  // The transport is the campaign's clock: silences and stop deadlines are virtual too.
  SimulationResult result;
  result.outcome = run_campaign(config, run_dir, transport, transport);
  result.stats = transport.stats();
  result.real_seconds = real.monotonic_seconds() - real_start;
  double final_seconds = 0.0;
  for (const TrialRecord& record : result.outcome.records) {
    final_seconds += record.end_unix - record.start_unix;
  }
  if (!result.outcome.records.empty()) {
    result.mean_eval_seconds = final_seconds / static_cast<double>(result.outcome.records.size());
  }
  const double capacity = options.workers * result.outcome.wall_seconds;
  result.utilization = capacity > 0.0 ? result.outcome.busy_seconds / capacity : 0.0;

  nlohmann::ordered_json json;
  json["workers"] = options.workers;
  json["time_scale"] = options.training_time_scale;
  json["eval_seconds"] = options.eval_seconds ? nlohmann::ordered_json(*options.eval_seconds)
                                              : nlohmann::ordered_json(nullptr);
  json["master_time_scale"] = options.master_time_scale;
  json["setup_seconds"] = options.setup_seconds;
  json["epoch_unix"] = transport_options.epoch_unix;
  json["makespan_seconds"] = result.outcome.wall_seconds;
  json["mean_eval_seconds"] = result.mean_eval_seconds;
  json["makespan_evaluations"] =
      result.mean_eval_seconds > 0.0 ? result.outcome.wall_seconds / result.mean_eval_seconds : 0.0;
  json["busy_seconds"] = result.outcome.busy_seconds;
  json["utilization"] = result.utilization;
  json["master_seconds"] = result.stats.master_seconds;
  json["decisions"] = result.stats.decisions;
  json["master_seconds_per_decision"] =
      result.stats.decisions > 0 ? result.stats.master_seconds / result.stats.decisions : 0.0;
  json["max_decision_seconds"] = result.stats.max_decision_seconds;
  json["evaluations"] = result.stats.evaluations;
  json["heartbeats"] = result.stats.heartbeats;
  json["real_seconds"] = result.real_seconds;
  std::ofstream file(std::filesystem::path(run_dir) / "simulation.json", std::ios::trunc);
  file << json.dump(2) << "\n";
  if (!file.flush()) throw std::runtime_error("cannot write " + run_dir + "/simulation.json");
  return result;
}

}  // namespace lorahpo
