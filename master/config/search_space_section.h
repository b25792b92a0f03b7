#pragma once

#include "common/search_space.h"
#include "master/config/config_section.h"

namespace lorahpo {

/// YAML `search_space`: name -> {type: float|int|categorical|bool, low, high, transform:
/// none|pow10, choices}. Names are identifiers and not {trial_dir}, {trial_id}, {config_dir};
/// with `key_paths` (the litgpt objective) a name may also be a key path such as
/// optimizer.init_args.betas[0] (which keys exist is litgpt_section's check). Bounds finite,
/// low < high, integers for int, pow10 exponents in [-300, 300]; a bool is the categorical
/// {false, true} and takes no bounds, transform or choices.
SearchSpace read_search_space(const ConfigSection& section, bool key_paths = false);

}  // namespace lorahpo
