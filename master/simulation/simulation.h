#pragma once

#include <optional>
#include <string>

#include "common/campaign_config.h"
#include "master/campaign/scheduler.h"
#include "master/simulation/simulated_transport.h"

namespace lorahpo {

/// What `lorahpo simulate` varies.
struct SimulationOptions {
  int workers = 1;
  /// lora_surrogate: simulated seconds per hour of real training (3600: the real 52-68 min).
  double training_time_scale = 3600.0;
  /// Every evaluation lasts this long (overrides the cost models).
  std::optional<double> eval_seconds;
  /// Factor on the master's measured compute time (0: a master that takes no time).
  double master_time_scale = 1.0;
  /// Seconds each worker needs after its setup before its first evaluation (default 0).
  double setup_seconds = 0.0;
  /// Unix time of virtual second 0; empty: the wall clock at the start.
  std::optional<double> epoch_unix;
};

/// A simulated campaign's outcome and what the virtual clock was spent on.
struct SimulationResult {
  CampaignOutcome outcome;  ///< wall_seconds and the records' times are virtual
  SimulationStats stats;
  double real_seconds = 0.0;       ///< how long the simulation itself took
  double mean_eval_seconds = 0.0;  ///< mean virtual duration of the final evaluations
  double utilization = 0.0;        ///< busy_seconds / (workers * wall_seconds)
};

/// Throws ConfigError unless `config` and `options` can be simulated: a builtin objective (a
/// command or a training run cannot be) and options in range.
void check_simulation(const CampaignConfig& config, const SimulationOptions& options);

/// Runs the campaign of `config` (the real optimizer, journal and scheduler: run_campaign) on
/// `options.workers` simulated workers (SimulatedTransport): the same decisions as `lorahpo
/// run`, on a virtual clock (the transport's: deadlines, silences, records and journal times are
/// virtual), without MPI and without waiting. `run_dir` must exist (create_run_directory); the run
/// directory gets the usual files with virtual times, plus simulation.json (the options, the
/// statistics, the utilization and the master's time per decision). Throws as check_simulation.
SimulationResult run_simulation(const CampaignConfig& config, const std::string& run_dir,
                                const SimulationOptions& options);

}  // namespace lorahpo
