#pragma once

#include <string>

#include "common/campaign_config.h"

namespace lorahpo {

/// Reads and validates a campaign file whole before anything runs. Every problem throws
/// ConfigError naming the file, the line and the key path, e.g.
/// `quickstart.yaml:7: search_space.lora_r.low (600) must be < high (512)`. Unknown keys are
/// errors (a typo must not silently fall back to a default).
CampaignConfig load_config(const std::string& path);

/// The same from text already read; `file_name` is used in messages only.
CampaignConfig parse_config(const std::string& text, const std::string& file_name,
                            const std::string& config_dir = ".");

}  // namespace lorahpo
