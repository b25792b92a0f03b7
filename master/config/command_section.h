#pragma once

#include "common/campaign_config.h"
#include "master/config/config_section.h"

namespace lorahpo {

/// `objective` of kind command: command (argv templates, no shell; the program must exist now),
/// timeout, result {file, pointer}, env.
CommandObjective read_command(const ConfigSection& objective, const SearchSpace& space);

}  // namespace lorahpo
