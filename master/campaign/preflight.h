#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/campaign_config.h"
#include "common/transport.h"
#include "worker/node_check.h"

namespace lorahpo {

/// The request every worker rank of `lorahpo preflight` gets: the setup message `run` would send,
/// and the directory the campaign's first trial would get, <run_dir>/trials/0 (absolute, from
/// rank 0's working directory, as `run` resolves it), so that work_dir and env expand as in a
/// trial.
PreflightRequest preflight_request(const CampaignConfig& config, const std::string& run_dir);

/// The reports of every worker rank, in rank order, and the ranks that sent none in time.
struct PreflightReports {
  std::vector<NodeReport> reports;
  std::vector<int> silent_ranks;
};

/// Sends `request` to ranks 1..size()-1 and gathers their reports. A rank silent for `timeout`
/// gets a report whose one check, "report", failed (a node that hangs in nvidia-smi or on a dead
/// file system is a node a campaign must not start on).
PreflightReports gather_node_reports(const PreflightRequest& request, Transport& transport,
                                     std::chrono::milliseconds timeout);

/// The table `lorahpo preflight` prints on stdout: one row per report, its first column
/// "host/rank" (several ranks may share a host), then one column per check (in the order they
/// first appear), each cell "ok <detail>" or "FAIL <detail>", cut to a readable width.
std::string preflight_table(const std::vector<NodeReport>& reports);

/// One line per failed check, "host/rank: check: detail", complete: what `lorahpo preflight`
/// prints on stderr (after "preflight: FAIL "), and what the OAR and Slurm scripts stop with.
std::vector<std::string> preflight_failures(const std::vector<NodeReport>& reports);

}  // namespace lorahpo
