#pragma once

#include <random>
#include <vector>

#include "master/optimizers/optimizer.h"

namespace lorahpo {

/// n points in [0,1]^d with exactly one point in each of the n equal strata of every coordinate
/// (McKay, Beckman & Conover 1979): coordinate j of point i is (pi_j(i) + U(0,1)) / n for an
/// independent random permutation pi_j.
std::vector<std::vector<double>> latin_hypercube(int n, int dim, std::mt19937_64& rng);

/// Latin hypercube sampling as an optimizer: one design of `design_size` points (the budget)
/// handed out in order; a new design follows if more are asked (a budget raised on resume).
class LatinHypercubeSearch final : public Optimizer {
 public:
  LatinHypercubeSearch(int dim, int design_size, std::mt19937_64 rng);
  std::string name() const override { return "lhs"; }
  std::vector<Suggestion> ask(int n) override;
  void tell(std::int64_t ticket, std::optional<double> value) override;

 private:
  int dim_;
  int design_size_;
  std::mt19937_64 rng_;
  std::vector<std::vector<double>> design_;
  std::size_t next_ = 0;
  std::int64_t next_ticket_ = 0;
};

}  // namespace lorahpo
