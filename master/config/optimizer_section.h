#pragma once

#include "common/optimizer_options.h"
#include "master/config/config_section.h"

namespace lorahpo {

/// YAML `optimizer`: `name` (parsed once into OptimizerKind) and the options of that optimizer
/// only, as its options struct lists them (common/optimizer_options.h visit()): each given one is
/// checked against its range or choices, the others keep their defaults, and another optimizer's
/// option is an unknown key. An absent or empty section: bo_gp with its defaults.
OptimizerConfig read_optimizer(const ConfigSection& optimizer);

}  // namespace lorahpo
