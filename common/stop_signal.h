#pragma once

namespace lorahpo {

/// SIGTERM, SIGINT and SIGUSR2 (OAR's checkpoint signal, which mpirun forwards to every rank)
/// only raise a flag: rank 0 then stops dispatching, lets running evaluations finish within a
/// grace period, flushes the journal and exits 99 so that an idempotent OAR job is resubmitted
/// and resumes. Installed once per process; no SA_RESTART, so blocking waits wake up.
void install_stop_signal_handlers();

/// The last stop signal received (0: none).
int stop_signal();

/// Forgets a received signal (tests).
void clear_stop_signal();

}  // namespace lorahpo
