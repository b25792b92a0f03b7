#pragma once

#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/gaussian_process.h"
#include "common/search_space.h"
#include "master/optimizers/bo/gp_features.h"
#include "master/optimizers/optimizer.h"
#include "master/optimizers/partition_tree.h"

namespace lorahpo {

/// The engine's options. What a campaign file may set is SooOptions and BamsooOptions
/// (common/optimizer_options.h: names, defaults, allowed values), mapped onto these by
/// make_optimizer.
struct OptimisticOptions {
  int k = 3;                    ///< children per expansion
  double depth_exponent = 0.5;  ///< h_max(n) = floor(n^depth_exponent) (Munos 2011: sqrt(n))
  bool bayesian = false;        ///< BaMSOO: score children by the GP's bounds first
  double eta = 0.5;             ///< BaMSOO: B_N = sqrt(2 log(pi^2 N^2 / (6 eta))), eta in (0, 1)
  GpFitOptions fit;
};

/// A BaMSOO decision for one child that was not evaluated: the journal records it.
struct Approximation {
  std::vector<double> unit;
  double mean = 0.0;
  double sigma = 0.0;
  double lcb = 0.0;
  double ucb = 0.0;
  double f_plus = 0.0;  ///< the best value it was compared to
  double beta = 0.0;    ///< B_N
  int depth = 0;
};

/// SOO (Munos 2011, "Optimistic optimization of a deterministic function without the knowledge
/// of its smoothness", Alg. 2) and BaMSOO (Wang, Shakibi, Jin & de Freitas 2014, Alg. 1) over a
/// K-ary PartitionTree of the unit cube, parallel by sweeps:
///
///   v_max <- -inf
///   for h = 0 .. min(depth, h_max(n)):
///     j <- the best leaf at depth h (lowest id on ties)
///     if f(j) > v_max: expand j; v_max <- f(j)
///
/// Every decision of a sweep uses the values known when the sweep starts, so all children a
/// sweep creates go out as ONE batch; the next sweep waits for the whole batch. The evaluated
/// points, and their order, are then the same whatever the number of workers.
///
/// The details published implementations disagree on, and the choices made here:
///  - comparison STRICT (f > v_max), as in Munos' Alg. 2 and the seed deck's Alg. 3.3: on a
///    plateau a tie at a deeper level is not expanded again in the same sweep;
///  - h_max(n) = floor(n^0.5) with n the nodes scored so far, evaluated or approximated
///    (configurable exponent);
///  - children created in a sweep are NOT eligible in the same sweep. With non-strict comparison,
///    no depth limit and same-sweep eligibility, the middle child (which inherits its parent's
///    value, so always ties it) would be expanded at once, then its own middle child, forever:
///    a greedy dive down one point. Values-at-sweep-start rules that out by construction;
///  - a sweep that expands nothing (every leaf deeper than h_max) expands the best shallowest
///    leaf instead, so the search never stalls;
///  - a failed evaluation counts as the worst value observed when the sweep starts.
///
/// BaMSOO: a new child is evaluated only if UCB(x) = mu(x) + B_N sigma(x) >= f+, the best
/// value known (real or approximated); otherwise it gets LCB(x) = mu(x) - B_N sigma(x) without a
/// training run, with B_N = sqrt(2 log(pi^2 N^2 / (6 eta))) and N counting the uses of the
/// bound. f+ rises when an LCB exceeds it (the seed deck's Alg. 3.4). The GP is BO-GP's, fitted
/// to the real evaluations at the start of each sweep. Only real evaluations count against the
/// budget and can be recommended.
class OptimisticOptimizer final : public Optimizer {
 public:
  OptimisticOptimizer(SearchSpace space, OptimisticOptions options, std::mt19937_64 rng);
  std::string name() const override { return options_.bayesian ? "bamsoo" : "soo"; }
  std::vector<Suggestion> ask(int n) override;
  void tell(std::int64_t ticket, std::optional<double> value) override;

  /// BaMSOO decisions made since the last call (for the journal).
  std::vector<Approximation> take_approximations();
  std::vector<UnevaluatedPoint> take_unevaluated() override;
  /// {"depth": h} of the cell whose centre the suggestion is.
  nlohmann::json annotation(std::int64_t ticket) const override;

  const PartitionTree& tree() const { return tree_; }
  int evaluations() const { return evaluations_; }

  /// Serializes the whole state (tree, queue, counters, generator) with cereal; restore()
  /// brings back an optimizer that proposes exactly what the original would have.
  std::string snapshot() const;
  void restore(const std::string& bytes);

 private:
  void sweep();
  double effective_value(const PartitionNode& node, double worst) const;
  void score_children(const std::vector<int>& children, double* f_plus);

  SearchSpace space_;
  OptimisticOptions options_;
  std::mt19937_64 rng_;
  GpFeatureMap features_;
  GaussianProcess gp_;
  PartitionTree tree_;
  std::deque<int> queue_;                ///< nodes to evaluate, in order
  std::map<std::int64_t, int> pending_;  ///< ticket -> node
  std::int64_t next_ticket_ = 0;
  int evaluations_ = 0;                  ///< real evaluations told
  std::int64_t bound_uses_ = 0;          ///< N of B_N
  std::int64_t approximated_total_ = 0;  ///< nodes scored by the GP bound instead of evaluated
  std::vector<Approximation> approximations_;
};

}  // namespace lorahpo
