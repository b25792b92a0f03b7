#include "master/optimizers/random_search.h"

namespace lorahpo {

RandomSearch::RandomSearch(int dim, std::mt19937_64 rng) : dim_(dim), rng_(std::move(rng)) {}

std::vector<Suggestion> RandomSearch::ask(int n) {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<Suggestion> batch;
  for (int i = 0; i < n; ++i) {
    Suggestion s{next_ticket_++, std::vector<double>(static_cast<std::size_t>(dim_))};
    for (double& u : s.unit) u = uniform(rng_);
    batch.push_back(std::move(s));
  }
  return batch;
}

void RandomSearch::tell(std::int64_t, std::optional<double>) {}

}  // namespace lorahpo
