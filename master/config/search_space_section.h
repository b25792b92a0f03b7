#pragma once

#include "common/search_space.h"
#include "master/config/config_section.h"

namespace lorahpo {

/// YAML `search_space`: name -> {type: float|int|categorical, low, high, transform: none|pow10,
/// choices}. Names are identifiers and not {trial_dir}, {trial_id}, {config_dir}; bounds finite,
/// low < high, integers for int, pow10 exponents in [-300, 300].
SearchSpace read_search_space(const ConfigSection& section);

}  // namespace lorahpo
