#include "master/optimizers/latin_hypercube.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace lorahpo {
namespace {

/// The most uniform draws tried for one point that is not yet proposed.
constexpr int kMaxDraws = 1000;

}  // namespace

SearchSpace unit_cube_space(int dim) {
  std::vector<Parameter> parameters;
  for (int i = 0; i < dim; ++i) {
    Parameter p;
    p.name = "x" + std::to_string(i);
    parameters.push_back(std::move(p));
  }
  return SearchSpace(std::move(parameters));
}

bool has_rounded_coordinates(const SearchSpace& space) {
  return std::any_of(space.parameters().begin(), space.parameters().end(),
                     [](const Parameter& p) { return p.type != ParamType::kFloat; });
}

std::vector<std::vector<double>> latin_hypercube(int n, int dim, std::mt19937_64& rng) {
  if (n < 1 || dim < 1) throw std::invalid_argument("latin_hypercube needs n >= 1 and dim >= 1");
  return latin_hypercube(n, unit_cube_space(dim), rng);
}

std::vector<std::vector<double>> latin_hypercube(int n, const SearchSpace& space,
                                                 std::mt19937_64& rng) {
  const int dim = space.dim();
  if (n < 1 || dim < 1) throw std::invalid_argument("latin_hypercube needs n >= 1 and dim >= 1");
  std::vector<std::vector<double>> points(static_cast<std::size_t>(n),
                                          std::vector<double>(static_cast<std::size_t>(dim)));
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<int> strata(static_cast<std::size_t>(n));
  for (int j = 0; j < dim; ++j) {
    std::iota(strata.begin(), strata.end(), 0);
    std::shuffle(strata.begin(), strata.end(), rng);
    const std::int64_t c = space.parameter(j).cardinality();
    // When c divides n, each value's bin is n / c whole strata: the float draw already gives it
    // its share (and campaigns journaled before this rule propose what they proposed).
    const bool by_value =
        c > 0 && n % c != 0 && (space.parameter(j).type == ParamType::kCategorical || c <= n);
    if (by_value) {
      const double offset = uniform(rng);
      for (int i = 0; i < n; ++i) {
        const double k = strata[static_cast<std::size_t>(i)];
        const std::int64_t value = std::min<std::int64_t>(
            static_cast<std::int64_t>(std::floor((k + offset) * static_cast<double>(c) / n)),
            c - 1);
        points[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)] =
            (static_cast<double>(value) + 0.5) / static_cast<double>(c);
      }
      continue;
    }
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
    : LatinHypercubeSearch(unit_cube_space(dim), design_size, std::move(rng)) {}

LatinHypercubeSearch::LatinHypercubeSearch(SearchSpace space, int design_size, std::mt19937_64 rng)
    : space_(std::move(space)),
      rounded_(has_rounded_coordinates(space_)),
      design_size_(std::max(design_size, 1)),
      rng_(std::move(rng)) {}

std::vector<Suggestion> LatinHypercubeSearch::ask(int n) {
  std::vector<Suggestion> batch;
  for (int i = 0; i < n; ++i) {
    if (next_ >= design_.size()) {
      design_ = latin_hypercube(design_size_, space_, rng_);
      next_ = 0;
    }
    std::vector<double> unit = design_[next_++];
    if (rounded_ && !proposed_.insert(space_.snap(unit)).second) {
      // Rounded, the design point was proposed already: a uniform point that was not.
      std::uniform_real_distribution<double> uniform(0.0, 1.0);
      unit.clear();
      for (int draw = 0; draw < kMaxDraws && unit.empty(); ++draw) {
        std::vector<double> u(static_cast<std::size_t>(space_.dim()));
        for (double& v : u) v = uniform(rng_);
        if (proposed_.insert(space_.snap(u)).second) unit = std::move(u);
      }
      if (unit.empty()) break;  // nothing new found: a small discrete space is exhausted
    }
    batch.push_back(Suggestion{next_ticket_++, std::move(unit)});
  }
  return batch;
}

void LatinHypercubeSearch::tell(std::int64_t, std::optional<double>) {}

}  // namespace lorahpo
