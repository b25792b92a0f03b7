#pragma once

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/gaussian_process.h"
#include "common/search_space.h"
#include "master/acquisition.h"
#include "master/acquisition_optimizer.h"
#include "master/gp_features.h"
#include "master/optimizer.h"

namespace lorahpo {

/// The value a pending point is assumed to have while it runs (Ginsbourger, Le Riche & Carraro
/// 2010, "Kriging is well-suited to parallelize optimization", constant liar): the best
/// observation (optimistic, CL-max), the worst (pessimistic, CL-min), their mean, or the GP's
/// own prediction there (kriging believer).
enum class Liar { kBest, kWorst, kMean, kKrigingBeliever };

struct BayesianOptimizationOptions {
  int n_init = 10;                  ///< Latin hypercube points before the GP
  bool synchronous = false;         ///< batches of batch_size, each awaited whole
  int batch_size = 1;               ///< q, synchronous mode
  AcquisitionKind acquisition = AcquisitionKind::kLogEi;
  double ucb_beta = 2.0;
  Liar liar = Liar::kKrigingBeliever;
  GpFitOptions fit;
  AcquisitionSearchOptions search;
};

/// BO with a GP (Jones et al. 1998; Snoek et al. 2012), parallel by constant liar:
///  - the first n_init points are a Latin hypercube design;
///  - then each new point maximizes the acquisition of a GP fitted (MAP) to every result, with
///    every pending point added at the lie value with the hyperparameters held fixed;
///  - asynchronous (default): one point whenever a worker frees up, lies at the points still
///    running; synchronous: q points at once, then nothing until all q came back.
/// A failed evaluation enters the GP at the worst value observed so far, so the search steers
/// away from it. No point is proposed twice: duplicates after rounding are rejected against the
/// history, the pending points and the batch being built.
class BayesianOptimization final : public Optimizer {
 public:
  BayesianOptimization(SearchSpace space, BayesianOptimizationOptions options, std::mt19937_64 rng);
  std::string name() const override { return "bo_gp"; }
  std::vector<Suggestion> ask(int n) override;
  void tell(std::int64_t ticket, std::optional<double> value) override;

  /// The GP as last conditioned (for tests and diagnostics).
  const GaussianProcess& gp() const { return gp_; }

 private:
  struct Observation {
    std::vector<double> unit;
    std::optional<double> value;
  };
  std::vector<double> propose();
  std::vector<double> random_point();
  bool is_duplicate(const std::vector<double>& unit) const;
  void refit_if_needed();
  /// The observations as GP inputs and outputs (failed ones at the worst value observed), with
  /// `extra_rows` more rows left for fantasies.
  void training_data(Eigen::Index extra_rows, Eigen::MatrixXd* x, Eigen::VectorXd* y) const;

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
};

}  // namespace lorahpo
