#include "master/optimizer_factory.h"

#include <stdexcept>

#include "master/latin_hypercube.h"
#include "master/random_search.h"

namespace lorahpo {

const std::vector<std::string>& optimizer_names() {
  static const std::vector<std::string> kNames = {"random", "lhs"};
  return kNames;
}

std::unique_ptr<Optimizer> make_optimizer(const CampaignConfig& config, std::mt19937_64 rng) {
  const std::string& name = config.optimizer.name;
  const int dim = config.space.dim();
  if (name == "random") return std::make_unique<RandomSearch>(dim, std::move(rng));
  if (name == "lhs") {
    return std::make_unique<LatinHypercubeSearch>(dim, config.campaign.budget, std::move(rng));
  }
  throw std::invalid_argument("unknown optimizer " + name);
}

}  // namespace lorahpo
