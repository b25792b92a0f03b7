#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/campaign_config.h"

namespace lorahpo {

/// What makes a campaign the same campaign: search space, objective, optimizer (with the batch
/// size it really used), direction and seed. Written in the journal's header; a resume whose
/// config differs in any of them is refused. The budget is not part of it: it may be raised to
/// extend a finished campaign.
nlohmann::ordered_json campaign_identity(const CampaignConfig& config, int resolved_batch_size);

/// The dotted keys whose values differ between two identities, each as
/// "optimizer.name: bo_gp -> soo" (empty: the same campaign).
std::vector<std::string> identity_differences(const nlohmann::json& journaled,
                                              const nlohmann::json& current);

}  // namespace lorahpo
