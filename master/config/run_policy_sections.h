#pragma once

#include "common/campaign_config.h"
#include "master/config/config_section.h"

namespace lorahpo {

/// YAML `failures` (FailurePolicy): max_retries, failed_score (worst or a number), stop_after,
/// max_failure_rate.
FailurePolicy read_failures(const ConfigSection& failures);

/// YAML `workers` (WorkerPolicy): heartbeat_seconds, silent_after_seconds (> 2 heartbeats),
/// stop_grace_seconds.
WorkerPolicy read_workers(const ConfigSection& workers);

}  // namespace lorahpo
