#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/option_visitor.h"

namespace lorahpo {

/// The optimizers a campaign may use (YAML `optimizer.name`), parsed once when the file is read;
/// master/optimizers/optimizer_factory.cpp make_optimizer switches over it.
enum class OptimizerKind { kBoGp, kSoo, kBamsoo, kLhs, kRandom };

/// "bo_gp", "soo", "bamsoo", "lhs", "random".
const char* to_string(OptimizerKind kind);
/// The kind named `name`, nullopt for an unknown name.
std::optional<OptimizerKind> optimizer_kind(const std::string& name);
/// Every name, in the order the README and messages list them.
const std::vector<std::string>& optimizer_names();

// Each optimizer's options: one struct each, defaults beside the fields, and the one list of
// names and allowed values in visit() (read from YAML, checked, written into the campaign
// identity by visitors; common/option_visitor.h). random and lhs take no option.

/// bo_gp `mode`: "async" proposes one point whenever a worker frees up, with lies at the pending
/// points; "sync" proposes batches of batch_size points and waits for each whole batch.
enum class BoMode { kAsync, kSync };
/// bo_gp `acquisition`: log EI (Ament et al. 2023) or GP-UCB.
enum class BoAcquisition { kLogEi, kUcb };
/// bo_gp `liar`: the constant lie at pending points (Ginsbourger et al. 2010): "best" (optimistic,
/// CL-max for maximization), "worst" (pessimistic), "mean" (of the observations),
/// "kriging_believer" (the GP mean at the point), or "auto": best for sync batches, kriging
/// believer for async (what bench/ measured best on five test functions, 20 seeds each).
enum class BoLiar { kAuto, kBest, kKrigingBeliever, kMean, kWorst };

const std::vector<Choice<BoMode>>& bo_modes();
const std::vector<Choice<BoAcquisition>>& bo_acquisitions();
const std::vector<Choice<BoLiar>>& bo_liars();

/// Options of bo_gp, Bayesian optimization with a Matern-5/2 GP
/// (master/optimizers/bo/bayesian_optimization.h).
struct BoGpOptions {
  /// Latin hypercube points before the GP takes over (the 2024 study: 10 of 50), in [0, 100000].
  int n_init = 10;
  BoMode mode = BoMode::kAsync;
  /// sync: points per batch (q), in [0, 100000]; 0 means one per worker.
  int batch_size = 0;
  BoAcquisition acquisition = BoAcquisition::kLogEi;
  BoLiar liar = BoLiar::kAuto;
  /// At most this many points (results and pending lies) condition the GP; 0: no bound, else in
  /// [16, 100000]. Beyond it: the newest pending points (at most half), then the best and the
  /// newest results. Only binds past ~1000 points: hundreds of workers, or budgets in the
  /// thousands.
  int max_gp_points = 1024;

  void visit(OptionVisitor& visitor);
};

/// soo and bamsoo `parallel`: how the partition search fills the workers
/// (master/optimizers/optimistic_optimizer.h has the rules and their sources).
/// "sweep": the published algorithm, one batch per sweep decided from the values known when it
/// starts, the same points for any number of workers; "wide": sweeps of several passes, at least
/// as many points as free workers; "async": a decision whenever a worker is free, pending cells
/// standing in by a placeholder value.
enum class PartitionParallel { kAsync, kSweep, kWide };

const std::vector<Choice<PartitionParallel>>& partition_parallel_strategies();

/// Options of soo, Munos' simultaneous optimistic optimization
/// (master/optimizers/optimistic_optimizer.h).
struct SooOptions {
  /// Children per expansion (K), in [2, 16].
  int k = 3;
  /// h_max(n) = floor(n^depth_exponent), the deepest level a sweep visits; in (0, 1].
  double depth_exponent = 0.5;
  /// The parallel strategy. The default is the published algorithm (and what journals written
  /// before the option existed ran); the shipped cluster configs choose async.
  PartitionParallel parallel = PartitionParallel::kSweep;

  void visit(OptionVisitor& visitor);
};

/// Options of bamsoo, Bayesian multi-scale optimistic optimization (Wang et al. 2014): soo's and
/// eta in (0, 1) of B_N = sqrt(2 log(pi^2 N^2 / (6 eta))).
struct BamsooOptions {
  SooOptions soo;
  double eta = 0.5;

  void visit(OptionVisitor& visitor);
};

/// The optimizer of a campaign (YAML section `optimizer`) and the options of each; only those of
/// `kind` are read (another optimizer's option is an error) and used.
struct OptimizerConfig {
  /// The default: BO-GP, the most sample-efficient method of the 2024 Llama-3.2 study.
  OptimizerKind kind = OptimizerKind::kBoGp;
  BoGpOptions bo_gp;
  SooOptions soo;
  BamsooOptions bamsoo;

  /// Visits the options of `kind` (none for random and lhs).
  void visit(OptionVisitor& visitor);
};

}  // namespace lorahpo
