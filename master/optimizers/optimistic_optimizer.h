#pragma once

#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/gaussian_process.h"
#include "common/optimizer_options.h"
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
  PartitionParallel parallel = PartitionParallel::kSweep;
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
/// K-ary PartitionTree of the unit cube. One SOO pass is
///
///   v_max <- -inf
///   for h = 0 .. min(depth, h_max(n)):
///     j <- the best leaf at depth h (lowest id on ties)
///     if f(j) > v_max: expand j; v_max <- f(j)
///
/// Rules common to the three parallel strategies:
///  - comparison STRICT (f > v_max), as in Munos' Alg. 2 and the seed deck's Alg. 3.3: on a
///    plateau a tie at a deeper level is not expanded again in the same pass;
///  - h_max(n) = floor(n^0.5) with n the nodes scored so far, evaluated or approximated
///    (configurable exponent; async also counts the nodes being evaluated, see below);
///  - a pass that expands nothing (every leaf deeper than h_max) expands the best shallowest
///    leaf instead, so the search never stalls;
///  - a failed evaluation counts as the worst value observed;
///  - BaMSOO: a new child is evaluated only if UCB(x) = mu(x) + B_N sigma(x) >= f+, the best
///    value known (real, or an LCB); otherwise it gets LCB(x) = mu(x) - B_N sigma(x) without a
///    training run, with B_N = sqrt(2 log(pi^2 N^2 / (6 eta))) and N counting the uses of the
///    bound. f+ rises when an LCB exceeds it (the seed deck's Alg. 3.4). The GP is BO-GP's,
///    fitted to the real evaluations only (failed ones at the worst value). Only real
///    evaluations count against the budget and can be recommended.
///
/// The parallel strategies (`parallel`):
///
/// sweep (default; the faithful reference). Every decision of a pass uses the values known when
/// it starts, so all children a pass creates go out as ONE batch; the next pass waits for the
/// whole batch. The evaluated points, and their order, are the same whatever the number of
/// workers. Children created in a pass are not eligible in it: with same-pass eligibility the
/// middle child (which inherits its parent's value, so always ties it) could be expanded at once,
/// then its own middle child, a greedy dive down one point.
///
/// wide. A sweep as above, then further passes over the leaves that existed when it started and
/// that no earlier pass of the sweep took (so pass j takes, at each depth, about the j-th best
/// leaf, if it beats the shallower picks of pass j), until the sweep has decided at least as many
/// new cells as were asked for (the free workers; a cell BaMSOO's bound rules out counts, or a
/// confident GP would approximate whole levels to find work for every worker), a further pass
/// stopping as soon as that holds. It is SOO's one-leaf-per-depth rule
/// widened the way parallel DIRECT keeps its processors busy, by taking more cells per iteration
/// (He, Watson & Sosonkina, VT TR-06-02); the j-th-best-per-depth order is ours. With one worker
/// it is the sweep itself. When the leaves the sweep started with run out first (the first
/// sweeps of a small tree), the cells the sweep created are split in turn, in the order they
/// were made: more children per expansion, an expansion two or more levels deep. It still waits
/// for the slowest evaluation of each sweep, and it overshoots by up to K - 2 points (an
/// expansion's children go out together).
///
/// async. No batch boundary: whenever a worker is free and nothing already decided is left, the
/// pass goes on one depth from where it stopped (a cursor (h, v_max) kept between decisions) on
/// the tree AS IT STANDS, and a new pass starts at depth 0 when it passes h_max. A leaf whose
/// evaluation is pending stands in by a placeholder: SOO, the value of its nearest scored
/// ancestor (the value it would inherit; the root, before anything is known, by a value below
/// every real one); BaMSOO, the GP posterior mean at its centre, the kriging believer
/// (Ginsbourger, Le Riche & Carraro 2010) that BO-GP's async mode uses. The tree-traversal design
/// of parallel SOO over a shared tree ("Scaling the SOO global blackbox optimizer on a 128-core
/// architecture", CRISTAL Lille, HAL 03927251) and the asynchronous fractal decomposition of
/// Firmin & Talbi (Zellij) are the sources; the placeholders follow the design. Rules:
///  - a pending leaf can be expanded (that is what keeps 256 workers busy from the first
///    minute), once: expanding it makes it an inner node;
///  - a placeholder never counts as an observation: it is not f+ and not GP data; when the real
///    value arrives it replaces the placeholder, in the node and in every middle descendant that
///    inherits its point;
///  - strict comparison makes a pending child (placeholder = its parent's value) lose to its
///    parent's v_max in the same pass: no dive on placeholders;
///  - n of h_max counts the nodes scored or being scored, else h_max would stay at 1 while the
///    first hundreds of points are pending;
///  - BaMSOO refits its GP when a real result arrived since the last fit, decides each new
///    child's bound with the GP and f+ of that moment, and N counts every use: the bound rules
///    out exactly what it would rule out at that decision.
/// With one worker async is Munos' sequential Alg. 2: each expansion's children are evaluated
/// before the pass goes one level deeper, and they are eligible there.
///
/// Every strategy is a function of the sequence of ask sizes and tells (no clock, no thread), so a
/// campaign resumed by replaying its journal proposes what it proposed.
class OptimisticOptimizer final : public Optimizer {
 public:
  OptimisticOptimizer(SearchSpace space, OptimisticOptions options, std::mt19937_64 rng);
  std::string name() const override { return options_.bayesian ? "bamsoo" : "soo"; }
  std::vector<Suggestion> ask(int n) override;
  void tell(std::int64_t ticket, std::optional<double> value) override;

  /// BaMSOO decisions made since the last call (for the journal).
  std::vector<Approximation> take_approximations();
  std::vector<UnevaluatedPoint> take_unevaluated() override;
  /// {"depth": h} of the cell whose centre the suggestion is; BaMSOO adds the bound that sent it
  /// to evaluation (mu, sigma, ucb, f_plus, beta) when the GP decided it.
  nlohmann::json annotation(std::int64_t ticket) const override;

  const PartitionTree& tree() const { return tree_; }
  int evaluations() const { return evaluations_; }

  /// Serializes the whole state (tree, queue, counters, generator) with cereal; restore()
  /// brings back an optimizer that proposes exactly what the original would have.
  std::string snapshot() const;
  void restore(const std::string& bytes);

 private:
  /// sweep and wide: passes over the leaves known now until `wanted` points are queued (one pass
  /// for sweep).
  void sweep(int wanted);
  /// async: goes on with the current pass until an expansion queues points; false when no leaf
  /// can be expanded.
  bool decide();
  /// One pass over the leaves that `eligible` admits, by `value`: the leaves to expand.
  template <class Eligible, class Value>
  std::vector<int> select_pass(int deepest, const Eligible& eligible, const Value& value) const;
  /// The best leaf at depth h that `eligible` admits (lowest id on ties), -1 when none.
  template <class Eligible, class Value>
  int best_leaf_at(int h, const Eligible& eligible, const Value& value) const;
  int h_max(std::int64_t scored) const;
  double worst_value() const;
  double effective_value(const PartitionNode& node, double worst) const;
  /// SOO's async placeholder for an unscored node: its nearest scored ancestor's value.
  double inherited_placeholder(int id, double worst) const;
  /// f+: the best real value or approximation (never a placeholder).
  double best_known(double worst) const;
  /// Fits the GP to the real evaluations, if any arrived since the last fit.
  /// (sweep: at every sweep, forced, as the published algorithm does.)
  void refit_gp(double worst, bool force);
  /// Expands a leaf; its fresh children are queued, or approximated when the bound rules them out.
  void expand(int id, double* f_plus);
  void score_children(const std::vector<int>& children, double* f_plus);
  /// A real result for a node: the node and every node that inherits its point.
  void record(int id, std::optional<double> value);
  /// Mixed spaces: notes the rounded point a node stands for.
  void remember_point(int id);

  SearchSpace space_;
  OptimisticOptions options_;
  std::mt19937_64 rng_;
  GpFeatureMap features_;
  GaussianProcess gp_;
  PartitionTree tree_;
  bool rounded_ = false;  ///< some coordinate is an integer or a categorical
  /// Mixed spaces: the rounded point of every node that owns one (not inherited) -> the node.
  std::map<std::vector<double>, int> points_;
  std::deque<int> queue_;                ///< nodes to evaluate, in order
  std::map<std::int64_t, int> pending_;  ///< ticket -> node
  std::int64_t next_ticket_ = 0;
  int evaluations_ = 0;                  ///< real evaluations told
  std::int64_t bound_uses_ = 0;          ///< N of B_N
  std::int64_t approximated_total_ = 0;  ///< nodes scored by the GP bound instead of evaluated
  std::vector<Approximation> approximations_;
  // async: the pass in progress, and the GP's data at its last fit.
  int cursor_depth_ = 0;
  double cursor_v_max_ = -std::numeric_limits<double>::infinity();
  bool pass_expanded_ = false;
  std::vector<int> gp_data_;                         ///< node ids the GP was last fitted on
  std::vector<double> gp_values_;                    ///< their values then
  mutable std::map<int, double> placeholder_cache_;  ///< BaMSOO: GP means of pending leaves
  /// BaMSOO: node -> {mu, sigma, ucb, f+, beta} of the bound that sent it to evaluation, until
  /// its result (the journal's annotation).
  std::map<int, std::vector<double>> bound_decisions_;
};

}  // namespace lorahpo
