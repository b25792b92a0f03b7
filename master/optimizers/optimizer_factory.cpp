#include "master/optimizers/optimizer_factory.h"

#include <algorithm>
#include <stdexcept>

#include "master/optimizers/latin_hypercube.h"
#include "master/optimizers/optimistic_optimizer.h"
#include "master/optimizers/random_search.h"

namespace lorahpo {

BayesianOptimizationOptions bo_gp_engine_options(const BoGpOptions& o, int budget) {
  BayesianOptimizationOptions options;
  options.n_init = std::min(o.n_init, budget);
  options.synchronous = o.mode == BoMode::kSync;
  options.batch_size = o.batch_size;
  options.max_gp_points = o.max_gp_points;
  options.acquisition =
      o.acquisition == BoAcquisition::kUcb ? AcquisitionKind::kUcb : AcquisitionKind::kLogEi;
  switch (o.liar) {
    case BoLiar::kAuto:
      options.liar = options.synchronous ? Liar::kBest : Liar::kKrigingBeliever;
      break;
    case BoLiar::kBest:
      options.liar = Liar::kBest;
      break;
    case BoLiar::kWorst:
      options.liar = Liar::kWorst;
      break;
    case BoLiar::kMean:
      options.liar = Liar::kMean;
      break;
    case BoLiar::kKrigingBeliever:
      options.liar = Liar::kKrigingBeliever;
      break;
  }
  return options;
}

namespace {

OptimisticOptions engine_options(const SooOptions& o) {
  OptimisticOptions options;
  options.k = o.k;
  options.depth_exponent = o.depth_exponent;
  options.parallel = o.parallel;
  return options;
}

}  // namespace

std::unique_ptr<Optimizer> make_optimizer(const CampaignConfig& config, std::mt19937_64 rng) {
  const OptimizerConfig& o = config.optimizer;
  switch (o.kind) {
    case OptimizerKind::kRandom:
      return std::make_unique<RandomSearch>(config.space, std::move(rng));
    case OptimizerKind::kLhs:
      return std::make_unique<LatinHypercubeSearch>(config.space, config.campaign.budget,
                                                    std::move(rng));
    case OptimizerKind::kBoGp:
      return std::make_unique<BayesianOptimization>(
          config.space, bo_gp_engine_options(o.bo_gp, config.campaign.budget), std::move(rng));
    case OptimizerKind::kSoo:
      return std::make_unique<OptimisticOptimizer>(config.space, engine_options(o.soo),
                                                   std::move(rng));
    case OptimizerKind::kBamsoo: {
      OptimisticOptions options = engine_options(o.bamsoo.soo);
      options.bayesian = true;
      options.eta = o.bamsoo.eta;
      return std::make_unique<OptimisticOptimizer>(config.space, options, std::move(rng));
    }
  }
  throw std::invalid_argument("unknown optimizer kind");
}

}  // namespace lorahpo
