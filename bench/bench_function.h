#pragma once

#include <memory>
#include <string>

#include "worker/test_function.h"

namespace lorahpo::bench {

/// The benchmark's functions: every builtin test function, plus lora_surrogate seen as the
/// minimization of -HellaSwag accuracy (noiseless) over the unit cube of the seed's search space,
/// whose "optimum" is the best of the 150 real runs: its regret is how far a campaign's best is
/// from the best real fine-tuning (negative when the surrogate is beaten).
std::unique_ptr<TestFunction> make_bench_function(const std::string& name, int dim);

}  // namespace lorahpo::bench
