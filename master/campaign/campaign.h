#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/campaign_config.h"
#include "common/clock.h"
#include "common/gpu_time_saved.h"
#include "common/transport.h"
#include "master/campaign/scheduler.h"

namespace lorahpo {

/// Creates a new run directory: the directory itself (an existing non-empty one is refused, so
/// no earlier campaign is overwritten), trials/, and config.yaml, a byte copy of the config.
/// Throws std::runtime_error.
void create_run_directory(const std::string& run_dir, const CampaignConfig& config);

/// Rank 0's whole job: optimizer, journal and scheduler for the campaign, run to its budget
/// (or a stop) over `transport`, on `clock` (system_clock() for a real run; the simulator's
/// virtual clock); writes summary.json and prints the summary. `run_dir` must
/// exist. With `resume`, the journal in run_dir is checked against the config (ConfigError
/// naming what changed), its torn last line dropped, and replayed before the campaign goes on.
CampaignOutcome run_campaign(const CampaignConfig& config, const std::string& run_dir,
                             Transport& transport, const Clock& clock, bool resume = false);

/// Throws ConfigError unless run_dir holds a campaign that `--resume` can continue.
void check_resumable(const std::string& run_dir);

/// The objective's per-trial timeout (command and litgpt objectives); nullopt for builtins.
std::optional<double> trial_timeout_seconds(const ObjectiveConfig& objective);

/// The GPU time the early stops of diverged trials saved (common/gpu_time_saved.h), over the
/// campaign's final records; the reference is the trial timeout when no trial is ok. In
/// summary.json as "gpu_time_saved" and in the final log line.
GpuTimeSaved campaign_gpu_time_saved(const CampaignConfig& config,
                                     const std::vector<TrialRecord>& records);

/// The default run directory: runs/<name>-<UTC date and time>.
std::string default_run_directory(const CampaignConfig& config);

}  // namespace lorahpo
