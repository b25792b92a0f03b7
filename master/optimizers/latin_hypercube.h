#pragma once

#include <random>
#include <set>
#include <vector>

#include "common/search_space.h"
#include "master/optimizers/optimizer.h"

namespace lorahpo {

/// n points in [0,1]^d with exactly one point in each of the n equal strata of every coordinate
/// (McKay, Beckman & Conover 1979): coordinate j of point i is (pi_j(i) + U(0,1)) / n for an
/// independent random permutation pi_j.
std::vector<std::vector<double>> latin_hypercube(int n, int dim, std::mt19937_64& rng);

/// The same design over a search space, stratified over the values of its categoricals, and of
/// its integers of c <= n values, too. Floats are drawn exactly as above, and so is a coordinate
/// of c values when c divides n (each value's equal-width bin is then n / c whole strata: it
/// gets exactly n / c points) or when it is an integer of c > n values (a stratum of width 1/n
/// spans at least one value). So an all-float space gets the same design from the same
/// generator, and the campaigns journaled before (lora_r, lora_alpha with 50 points, a
/// 5-choice categorical with 20) propose what they proposed. Otherwise a coordinate of c values
/// gives stratum k the value
/// floor((k + U) c / n), with one uniform offset U in [0, 1) per coordinate, at its bin centre:
/// every value gets floor(n/c) or ceil(n/c) points when n >= c, and n distinct values when n < c
/// (systematic sampling with a random start). Equal-width bins alone (floor(u c) of the continuous
/// design) give that only when c divides n: with n = 5, c = 4, a stratum straddles each inner
/// boundary and a value can get no point at all.
std::vector<std::vector<double>> latin_hypercube(int n, const SearchSpace& space,
                                                 std::mt19937_64& rng);

/// Latin hypercube sampling as an optimizer: one design of `design_size` points (the budget)
/// handed out in order; a new design follows if more are asked (a budget raised on resume).
/// On a space with integers or categories no point is proposed twice once rounded: a design
/// point already proposed is replaced by a uniform one that is not, and when none is found
/// (a small discrete space is exhausted) ask() returns fewer points, possibly none.
class LatinHypercubeSearch final : public Optimizer {
 public:
  /// An all-float space of `dim` coordinates.
  LatinHypercubeSearch(int dim, int design_size, std::mt19937_64 rng);
  LatinHypercubeSearch(SearchSpace space, int design_size, std::mt19937_64 rng);
  std::string name() const override { return "lhs"; }
  std::vector<Suggestion> ask(int n) override;
  void tell(std::int64_t ticket, std::optional<double> value) override;

 private:
  SearchSpace space_;
  bool rounded_ = false;  ///< some coordinate is an integer or a categorical
  int design_size_;
  std::mt19937_64 rng_;
  std::vector<std::vector<double>> design_;
  std::size_t next_ = 0;
  std::int64_t next_ticket_ = 0;
  std::set<std::vector<double>> proposed_;  ///< rounded points proposed (when rounded_)
};

/// An all-float space of `dim` coordinates named x0, x1, ...
SearchSpace unit_cube_space(int dim);
/// True when some coordinate of the space is an integer or a categorical.
bool has_rounded_coordinates(const SearchSpace& space);

}  // namespace lorahpo
