#pragma once

#include <random>
#include <set>
#include <vector>

#include "common/search_space.h"
#include "master/optimizers/optimizer.h"

namespace lorahpo {

/// Independent uniform points in the unit cube: the baseline every method must beat. On a space
/// with integers or categories no point is proposed twice once rounded: a draw already proposed
/// is drawn again (at most 1000 times), and when nothing new is found (a small discrete space is
/// exhausted) ask() returns fewer points, possibly none.
class RandomSearch final : public Optimizer {
 public:
  /// An all-float space of `dim` coordinates.
  RandomSearch(int dim, std::mt19937_64 rng);
  RandomSearch(SearchSpace space, std::mt19937_64 rng);
  std::string name() const override { return "random"; }
  std::vector<Suggestion> ask(int n) override;
  void tell(std::int64_t ticket, std::optional<double> value) override;

 private:
  SearchSpace space_;
  bool rounded_ = false;  ///< some coordinate is an integer or a categorical
  std::mt19937_64 rng_;
  std::int64_t next_ticket_ = 0;
  std::set<std::vector<double>> proposed_;  ///< rounded points proposed (when rounded_)
};

}  // namespace lorahpo
