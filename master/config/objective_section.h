#pragma once

#include "common/campaign_config.h"
#include "master/config/config_section.h"

namespace lorahpo {

/// The objective and the search space it is evaluated over, read together: a builtin brings its
/// own space (unless the file gives one of the same size) and its direction.
struct ObjectiveAndSpace {
  ObjectiveConfig objective;
  SearchSpace space;
  Direction default_direction = Direction::kMaximize;
};

/// YAML `objective` (kind builtin, command or litgpt) and `search_space`, from the root section.
ObjectiveAndSpace read_objective_and_space(const ConfigSection& root);

}  // namespace lorahpo
