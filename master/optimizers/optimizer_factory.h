#pragma once

#include <memory>
#include <random>

#include "common/campaign_config.h"
#include "master/optimizers/optimizer.h"

namespace lorahpo {

/// The optimizer of `config.optimizer.kind` with its options (common/optimizer_options.h),
/// seeded from `rng`.
std::unique_ptr<Optimizer> make_optimizer(const CampaignConfig& config, std::mt19937_64 rng);

}  // namespace lorahpo
