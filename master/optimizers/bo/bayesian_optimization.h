#pragma once

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/gaussian_process.h"
#include "common/search_space.h"
#include "master/optimizers/bo/acquisition.h"
#include "master/optimizers/bo/acquisition_optimizer.h"
#include "master/optimizers/bo/gp_features.h"
#include "master/optimizers/optimizer.h"

namespace lorahpo {

/// The value a pending point is assumed to have while it runs (Ginsbourger, Le Riche & Carraro
/// 2010, "Kriging is well-suited to parallelize optimization", constant liar): the best
/// observation (optimistic, CL-max), the worst (pessimistic, CL-min), their mean, or the GP's
/// own prediction there (kriging believer).
enum class Liar { kBest, kWorst, kMean, kKrigingBeliever };

/// How a synchronous batch is composed beyond its first point (the first is always the plain
/// acquisition maximizer, what sequential BO would run). Points are added greedily in this
/// order, each one conditioned on the lies at the points before it:
///  1. `mean_points` maximizers of the posterior mean (pure exploitation);
///  2. `local_points` maximizers of the acquisition inside a trust region around the incumbent
///     (TuRBO, Eriksson et al. 2019, "Scalable global optimization via local Bayesian
///     optimization"): a box of side `length` in the unit cube, stretched along each input by its
///     GP lengthscale over their geometric mean, doubled after `success_tolerance` batches in a
///     row that improved the best value, halved after `failure_tolerance` that did not, and
///     reset to `length_init` once below `length_min`;
///  3. the rest by the acquisition over the whole space.
/// The defaults (4 local points of 8, first side 0.3 rather than TuRBO's 0.8) were the best of a
/// small grid on bench/'s five test functions with q = 8, budget 50, 20 seeds: lower median regret
/// than a batch of constant-liar points alone on all five (numbers in the commit message).
struct SyncBatchOptions {
  int mean_points = 0;
  int local_points = 4;
  double length_init = 0.3;
  double length_min = 0.5 * 0.5 * 0.5 * 0.5 * 0.5 * 0.5 * 0.5;
  double length_max = 1.6;
  int success_tolerance = 3;
  int failure_tolerance = 1;  ///< TuRBO's ceil(max(4/q, d/q)): 1 for q >= max(4, d)
  /// > 0: instead of one constant lie, the points already in the batch are fantasized at this
  /// many joint samples of the GP posterior and the acquisition averaged over them
  /// (sequential-greedy Monte-Carlo qEI, see Acquisition).
  int fantasies = 0;
};

/// The engine's options. What a campaign file may set is BoGpOptions (common/optimizer_options.h:
/// names, defaults, allowed values), mapped onto these by make_optimizer.
struct BayesianOptimizationOptions {
  int n_init = 10;           ///< Latin hypercube points before the GP
  bool synchronous = false;  ///< batches of batch_size, each awaited whole
  int batch_size = 1;        ///< q, synchronous mode
  AcquisitionKind acquisition = AcquisitionKind::kLogEi;
  double ucb_beta = 2.0;
  Liar liar = Liar::kKrigingBeliever;
  GpFitOptions fit;
  AcquisitionSearchOptions search;
  SyncBatchOptions sync_batch;
  /// At most this many points condition the GP (observations and pending points together;
  /// 0: no bound). Beyond it the GP sees the newest pending points (at most half of the bound),
  /// then the best observations and the newest ones in equal parts. Each ask costs O(m^3) in
  /// the GP's m points: with P = 1024 workers every observation plus ~1000 pending points would
  /// make an ask take seconds to minutes (bench/results/scaling.md).
  int max_gp_points = 1024;
};

/// BO with a GP (Jones et al. 1998; Snoek et al. 2012), parallel by constant liar:
///  - the first n_init points are a Latin hypercube design;
///  - then each new point maximizes the acquisition of a GP fitted (MAP) to every result, with
///    every pending point added at the lie value with the hyperparameters held fixed;
///  - asynchronous (default): one point whenever a worker frees up, lies at the points still
///    running; synchronous: q points at once, then nothing until all q came back.
/// A failed evaluation enters the GP at the worst value observed so far, so the search steers
/// away from it. No point is proposed twice: duplicates after rounding are rejected against the
/// history, the pending points and the batch being built; when no new point is found (a small
/// discrete space is exhausted) ask() returns fewer points, possibly none.
///
/// Mixed spaces (Garrido-Merchan & Hernandez-Lobato 2020, "Dealing with categorical and
/// integer-valued variables in Bayesian optimization with Gaussian processes"): the GP sees each
/// categorical (a bool is a 2-choice categorical) as a one-hot block and each integer at the
/// centre of its bin (GpFeatureMap), so the kernel sees exactly the points the workers run and
/// no order is invented between labels; the Matern-5/2 ARD kernel then gives each
/// one-hot column its own length scale. One-hot rather than a categorical (overlap/Hamming)
/// kernel as in CoCaBO or Casmopolitan: it reuses the one kernel and its gradients, and with the
/// few labels of a LitGPT search (2 or 3 per key) the block adds only a column or two. The
/// acquisition search (maximize_acquisition) moves floats and integers continuously with the
/// categoricals held at each start's value (random starts draw every label), then snaps; the
/// initial design is latin_hypercube() over the space, stratified over the labels.
class BayesianOptimization final : public Optimizer {
 public:
  BayesianOptimization(SearchSpace space, BayesianOptimizationOptions options, std::mt19937_64 rng);
  std::string name() const override { return "bo_gp"; }
  std::vector<Suggestion> ask(int n) override;
  void tell(std::int64_t ticket, std::optional<double> value) override;

  /// The GP as last conditioned (for tests and diagnostics).
  const GaussianProcess& gp() const { return gp_; }
  /// EI's incumbent at the last model-based proposal: the best posterior mean at an observed
  /// point, not the best noisy observation (for tests and diagnostics); nullopt before the GP.
  std::optional<double> last_incumbent() const { return last_incumbent_; }

 private:
  struct Observation {
    std::vector<double> unit;
    std::optional<double> value;
  };
  enum class Proposal { kGlobal, kMean, kLocal };
  /// Statistics of the observed values: what the constant liars lie with.
  struct ValueSummary {
    double best = 0.0;
    double worst = 0.0;
    double mean = 0.0;
    /// EI's incumbent: the best posterior mean at an observed point (posterior_incumbent()).
    double incumbent = 0.0;
  };
  /// GPs conditioned on joint posterior samples at the pending points, and the best value of
  /// each (the data's or a fantasized one).
  struct Fantasies {
    std::vector<GaussianProcess> models;
    std::vector<double> bests;
  };
  std::vector<double> propose(Proposal kind = Proposal::kGlobal);
  /// Conditions gp_ on the data and the pending points at the liar's value; leaves it on the data
  /// alone (where propose() put it, the last ask's lies out) when fantasies stand in for the
  /// pending points or there are none.
  void condition_on_lies(const ValueSummary& values, bool sample_fantasies);
  /// The best `count` observed points, best first: they seed the acquisition's local search.
  std::vector<std::vector<double>> incumbents(std::size_t count) const;
  Fantasies sample_fantasies(double best);
  /// What the `slot`-th GP point of a synchronous batch is (SyncBatchOptions).
  Proposal sync_slot_kind(int slot) const;
  /// TuRBO's side-length update, once per synchronous batch, from whether the last one improved.
  void update_trust_region();
  /// The trust region around the incumbent `center` in the unit cube.
  void trust_region(const std::vector<double>& center, std::vector<double>* lower,
                    std::vector<double>* upper) const;
  std::optional<double> best_value() const;
  /// The best GP posterior mean among the kIncumbentCandidates best observations, on the real
  /// data (gp_ must hold no lie); `best` when the GP cannot say.
  double posterior_incumbent(double best) const;
  std::vector<double> random_point();
  bool is_duplicate(const std::vector<double>& unit) const;
  void refit_if_needed();
  /// The observations the GP is conditioned on (all of them unless max_gp_points binds), as
  /// GP inputs and outputs (failed ones at the worst value observed), with `extra_rows` more
  /// rows left for fantasies.
  void training_data(Eigen::Index extra_rows, Eigen::MatrixXd* x, Eigen::VectorXd* y) const;
  /// Chooses the observations and pending points the GP sees (max_gp_points).
  void select_model_data();

  std::vector<std::size_t> model_observations_;  ///< indices into observations_
  std::vector<std::vector<double>> model_pending_;

  SearchSpace space_;
  BayesianOptimizationOptions options_;
  std::mt19937_64 rng_;
  GpFeatureMap features_;
  GaussianProcess gp_;

  std::vector<std::vector<double>> design_;
  std::size_t next_design_ = 0;
  std::vector<Observation> observations_;
  std::map<std::int64_t, std::vector<double>> pending_;
  std::int64_t next_ticket_ = 0;
  std::size_t fitted_observations_ = 0;
  std::optional<double> last_incumbent_;

  // Trust region of synchronous batches (SyncBatchOptions).
  double tr_length_ = 0.0;
  int tr_successes_ = 0;
  int tr_failures_ = 0;
  std::optional<double> tr_last_best_;  ///< best value when the last batch was built
};

}  // namespace lorahpo
