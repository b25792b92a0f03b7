#include "master/optimizers/latin_hypercube.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace lorahpo {

std::vector<std::vector<double>> latin_hypercube(int n, int dim, std::mt19937_64& rng) {
  if (n < 1 || dim < 1) throw std::invalid_argument("latin_hypercube needs n >= 1 and dim >= 1");
  std::vector<std::vector<double>> points(static_cast<std::size_t>(n),
                                          std::vector<double>(static_cast<std::size_t>(dim)));
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<int> strata(static_cast<std::size_t>(n));
  for (int j = 0; j < dim; ++j) {
    std::iota(strata.begin(), strata.end(), 0);
    std::shuffle(strata.begin(), strata.end(), rng);
    for (int i = 0; i < n; ++i) {
      const int k = strata[static_cast<std::size_t>(i)];
      const double u = (k + uniform(rng)) / n;
      // (k + U) / n can round up to (k + 1) / n when U is within an ulp of 1: keep the point in
      // its own stratum.
      points[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)] =
          std::min(u, std::nextafter((k + 1.0) / n, 0.0));
    }
  }
  return points;
}

LatinHypercubeSearch::LatinHypercubeSearch(int dim, int design_size, std::mt19937_64 rng)
    : dim_(dim), design_size_(std::max(design_size, 1)), rng_(std::move(rng)) {}

std::vector<Suggestion> LatinHypercubeSearch::ask(int n) {
  std::vector<Suggestion> batch;
  for (int i = 0; i < n; ++i) {
    if (next_ >= design_.size()) {
      design_ = latin_hypercube(design_size_, dim_, rng_);
      next_ = 0;
    }
    batch.push_back(Suggestion{next_ticket_++, design_[next_++]});
  }
  return batch;
}

void LatinHypercubeSearch::tell(std::int64_t, std::optional<double>) {}

}  // namespace lorahpo
