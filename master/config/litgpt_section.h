#pragma once

#include "common/campaign_config.h"
#include "master/config/config_section.h"

namespace lorahpo {

/// `objective` of kind litgpt (README "The litgpt objective"): the search space may only name
/// LitGPT hyperparameters; paths may use {config_dir}; `data`, `train`, `eval` are LitGPT's own
/// sections, `train` and `eval` merged key by key over the defaults of LitgptObjective; the keys,
/// precisions and LoRA targets are worker/litgpt_names.h's.
/// Each parameter of `space` (read from `search_space`) names a key of worker/litgpt_keys.h (the
/// five short names or a path), with a type and bounds that key takes, set nowhere else in the
/// objective; otherwise ConfigError at the parameter's line.
LitgptObjective read_litgpt(const ConfigSection& objective, const SearchSpace& space,
                            const ConfigSection& search_space);

}  // namespace lorahpo
