#pragma once

#include "common/campaign_config.h"
#include "master/config/config_section.h"
#include "worker/builtin_objective.h"

namespace lorahpo {

/// `objective` of kind builtin: function, dim, noise, cost {base, slope, parameter}, time_scale,
/// metric (lora_surrogate: acc_norm or acc).
/// Returns the function's own search space and direction (describe_builtin).
BuiltinDescription read_builtin(const ConfigSection& objective, BuiltinObjective* out);

/// Checks the builtin's `search_space` (left out for lora_surrogate; as many numeric parameters as
/// the function takes) and its cost model against the space the campaign uses.
void check_builtin_space(const ConfigSection& root, const ConfigSection& objective,
                         const BuiltinObjective& builtin, const BuiltinDescription& description,
                         const SearchSpace& space);

}  // namespace lorahpo
