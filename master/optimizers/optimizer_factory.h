#pragma once

#include <memory>
#include <random>

#include "common/campaign_config.h"
#include "master/optimizers/optimizer.h"

namespace lorahpo {

/// Names accepted in optimizer.name.
const std::vector<std::string>& optimizer_names();

/// The optimizer the config names, seeded from `rng`.
std::unique_ptr<Optimizer> make_optimizer(const CampaignConfig& config, std::mt19937_64 rng);

}  // namespace lorahpo
