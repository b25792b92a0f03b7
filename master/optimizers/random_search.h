#pragma once

#include <random>

#include "master/optimizers/optimizer.h"

namespace lorahpo {

/// Independent uniform points in the unit cube: the baseline every method must beat.
class RandomSearch final : public Optimizer {
 public:
  RandomSearch(int dim, std::mt19937_64 rng);
  std::string name() const override { return "random"; }
  std::vector<Suggestion> ask(int n) override;
  void tell(std::int64_t ticket, std::optional<double> value) override;

 private:
  int dim_;
  std::mt19937_64 rng_;
  std::int64_t next_ticket_ = 0;
};

}  // namespace lorahpo
