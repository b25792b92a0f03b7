#pragma once

#include <memory>
#include <random>

#include "common/campaign_config.h"
#include "master/optimizers/bo/bayesian_optimization.h"
#include "master/optimizers/optimizer.h"

namespace lorahpo {

/// The optimizer of `config.optimizer.kind` with its options (common/optimizer_options.h),
/// seeded from `rng`.
std::unique_ptr<Optimizer> make_optimizer(const CampaignConfig& config, std::mt19937_64 rng);

/// bo_gp's user options (common/optimizer_options.h) as the engine's, for a campaign of
/// `budget` evaluations: what make_optimizer builds BO-GP with (the benchmark starts from it to
/// vary engine options no campaign file can set).
BayesianOptimizationOptions bo_gp_engine_options(const BoGpOptions& options, int budget);

}  // namespace lorahpo
