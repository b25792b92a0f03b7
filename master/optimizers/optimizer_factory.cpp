#include "master/optimizers/optimizer_factory.h"

#include <stdexcept>

#include "master/optimizers/bo/bayesian_optimization.h"
#include "master/optimizers/latin_hypercube.h"
#include "master/optimizers/optimistic_optimizer.h"
#include "master/optimizers/random_search.h"

namespace lorahpo {

const std::vector<std::string>& optimizer_names() {
  static const std::vector<std::string> kNames = {"bo_gp", "soo", "bamsoo", "lhs", "random"};
  return kNames;
}

std::unique_ptr<Optimizer> make_optimizer(const CampaignConfig& config, std::mt19937_64 rng) {
  const std::string& name = config.optimizer.name;
  const int dim = config.space.dim();
  if (name == "random") return std::make_unique<RandomSearch>(dim, std::move(rng));
  if (name == "lhs") {
    return std::make_unique<LatinHypercubeSearch>(dim, config.campaign.budget, std::move(rng));
  }
  if (name == "bo_gp") {
    const OptimizerConfig& o = config.optimizer;
    BayesianOptimizationOptions options;
    options.n_init = std::min(o.n_init, config.campaign.budget);
    options.synchronous = o.mode == "sync";
    options.batch_size = o.batch_size;
    options.max_gp_points = o.max_gp_points;
    options.acquisition = o.acquisition == "ucb" ? AcquisitionKind::kUcb : AcquisitionKind::kLogEi;
    const std::string liar = o.liar != "auto" ? o.liar : options.synchronous ? "best" : "kriging_believer";
    options.liar = liar == "best"   ? Liar::kBest
                   : liar == "mean" ? Liar::kMean
                   : liar == "worst" ? Liar::kWorst
                                     : Liar::kKrigingBeliever;
    return std::make_unique<BayesianOptimization>(config.space, options, std::move(rng));
  }
  if (name == "soo" || name == "bamsoo") {
    OptimisticOptions options;
    options.k = config.optimizer.k;
    options.depth_exponent = config.optimizer.depth_exponent;
    options.eta = config.optimizer.eta;
    options.bayesian = name == "bamsoo";
    return std::make_unique<OptimisticOptimizer>(config.space, options, std::move(rng));
  }
  throw std::invalid_argument("unknown optimizer " + name);
}

}  // namespace lorahpo
