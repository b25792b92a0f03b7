#include "master/optimizers/random_search.h"

#include "master/optimizers/latin_hypercube.h"

namespace lorahpo {
namespace {

/// The most draws tried for one point that is not yet proposed.
constexpr int kMaxDraws = 1000;

}  // namespace

RandomSearch::RandomSearch(int dim, std::mt19937_64 rng)
    : RandomSearch(unit_cube_space(dim), std::move(rng)) {}

RandomSearch::RandomSearch(SearchSpace space, std::mt19937_64 rng)
    : space_(std::move(space)), rounded_(has_rounded_coordinates(space_)), rng_(std::move(rng)) {}

std::vector<Suggestion> RandomSearch::ask(int n) {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<Suggestion> batch;
  for (int i = 0; i < n; ++i) {
    std::vector<double> unit;
    for (int draw = 0; draw < (rounded_ ? kMaxDraws : 1) && unit.empty(); ++draw) {
      std::vector<double> u(static_cast<std::size_t>(space_.dim()));
      for (double& v : u) v = uniform(rng_);
      if (!rounded_ || proposed_.insert(space_.snap(u)).second) unit = std::move(u);
    }
    if (unit.empty()) break;  // nothing new found: a small discrete space is exhausted
    batch.push_back(Suggestion{next_ticket_++, std::move(unit)});
  }
  return batch;
}

void RandomSearch::tell(std::int64_t, std::optional<double>) {}

}  // namespace lorahpo
