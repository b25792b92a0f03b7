#pragma once

#include "common/transport.h"

namespace lorahpo {

/// A worker rank's whole life: wait for the setup, then evaluate each point rank 0 sends and
/// answer with its result, until told to shut down. An evaluation that throws is answered as an
/// error with the reason: the worker survives and takes the next job.
void run_worker(Transport& transport);

}  // namespace lorahpo
