#pragma once

#include <string>

#include "common/campaign_config.h"
#include "common/transport.h"
#include "master/scheduler.h"

namespace lorahpo {

/// Creates a new run directory: the directory itself (an existing non-empty one is refused, so
/// no earlier campaign is overwritten), trials/, and config.yaml, a byte copy of the config.
/// Throws std::runtime_error.
void create_run_directory(const std::string& run_dir, const CampaignConfig& config);

/// Rank 0's whole job: optimizer, journal and scheduler for the campaign, run to its budget
/// (or a stop) over `transport`; writes summary.json and prints the summary. `run_dir` must
/// exist. With `resume`, the journal in run_dir is checked against the config (ConfigError
/// naming what changed), its torn last line dropped, and replayed before the campaign goes on.
CampaignOutcome run_campaign(const CampaignConfig& config, const std::string& run_dir,
                             Transport& transport, bool resume = false);

/// Throws ConfigError unless run_dir holds a campaign that `--resume` can continue.
void check_resumable(const std::string& run_dir);

/// The default run directory: runs/<name>-<UTC date and time>.
std::string default_run_directory(const CampaignConfig& config);

}  // namespace lorahpo
