#pragma once

#include "common/campaign_config.h"
#include "master/config/config_section.h"

namespace lorahpo {

/// YAML `campaign`: name (default: the file's stem; it names the run directory), budget in
/// [1, 1000000], direction (default `default_direction`, the builtin's own or maximize), seed >= 0.
CampaignSettings read_campaign(const ConfigSection& campaign, const std::string& file_name,
                               Direction default_direction);

}  // namespace lorahpo
