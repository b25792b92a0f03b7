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

/// YAML `rechecks` (RecheckPolicy): top_k (0: off), max_measurements (>= 2), only_if_it_fits,
/// at_end (wait | cancel).
RecheckPolicy read_rechecks(const ConfigSection& rechecks);

}  // namespace lorahpo
