#include "master/optimizers/bo/bayesian_optimization.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "master/optimizers/latin_hypercube.h"

namespace lorahpo {

BayesianOptimization::BayesianOptimization(SearchSpace space, BayesianOptimizationOptions options,
                                           std::mt19937_64 rng)
    : space_(std::move(space)),
      options_(options),
      rng_(std::move(rng)),
      features_(space_),
      gp_(features_.feature_dim()) {
  options_.batch_size = std::max(options_.batch_size, 1);
  tr_length_ = options_.sync_batch.length_init;
  if (options_.n_init > 0) design_ = latin_hypercube(options_.n_init, space_, rng_);
}

std::vector<Suggestion> BayesianOptimization::ask(int n) {
  if (options_.synchronous && !pending_.empty()) return {};
  const int count = options_.synchronous ? std::min(n, options_.batch_size) : n;
  if (options_.synchronous) update_trust_region();
  std::vector<Suggestion> batch;
  int gp_slot = 0;
  for (int i = 0; i < count; ++i) {
    std::vector<double> unit;
    if (next_design_ < design_.size()) {
      unit = space_.snap(design_[next_design_++]);
      // On a coarse grid two strata can round to the same values: never run a point twice.
      if (is_duplicate(unit)) unit = random_point();
    } else {
      unit = propose(options_.synchronous ? sync_slot_kind(gp_slot++) : Proposal::kGlobal);
    }
    if (unit.empty()) break;  // nothing new can be proposed (a small discrete space is exhausted)
    pending_[next_ticket_] = unit;
    batch.push_back(Suggestion{next_ticket_++, std::move(unit)});
  }
  return batch;
}

void BayesianOptimization::tell(std::int64_t ticket, std::optional<double> value) {
  const auto it = pending_.find(ticket);
  if (it == pending_.end()) return;
  observations_.push_back(Observation{std::move(it->second), value});
  pending_.erase(it);
}

bool BayesianOptimization::is_duplicate(const std::vector<double>& unit) const {
  const auto same = [&](const std::vector<double>& other) {
    for (std::size_t k = 0; k < unit.size(); ++k) {
      if (std::fabs(unit[k] - other[k]) > 1e-9) return false;
    }
    return true;
  };
  for (const auto& o : observations_) {
    if (same(o.unit)) return true;
  }
  for (const auto& [ticket, p] : pending_) {
    if (same(p)) return true;
  }
  return false;
}

std::vector<double> BayesianOptimization::random_point() {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    std::vector<double> u(static_cast<std::size_t>(space_.dim()));
    for (double& v : u) v = uniform(rng_);
    u = space_.snap(u);
    if (!is_duplicate(u)) return u;
  }
  return {};
}

void BayesianOptimization::training_data(Eigen::Index extra_rows, Eigen::MatrixXd* x,
                                         Eigen::VectorXd* y) const {
  double worst = std::numeric_limits<double>::infinity();
  for (const auto& o : observations_) {
    if (o.value) worst = std::min(worst, *o.value);
  }
  const auto n = static_cast<Eigen::Index>(model_observations_.size());
  x->resize(n + extra_rows, features_.feature_dim());
  y->resize(n + extra_rows);
  for (Eigen::Index i = 0; i < n; ++i) {
    const Observation& o = observations_[model_observations_[static_cast<std::size_t>(i)]];
    x->row(i) = features_.features(o.unit).transpose();
    (*y)(i) = o.value.value_or(worst);
  }
}

void BayesianOptimization::select_model_data() {
  model_pending_.clear();
  model_observations_.clear();
  const std::size_t cap = options_.max_gp_points > 0
                              ? static_cast<std::size_t>(options_.max_gp_points)
                              : std::numeric_limits<std::size_t>::max();
  // Pending points: the newest (highest tickets) first, at most half of the bound.
  const std::size_t pending_room = std::min(pending_.size(), std::max<std::size_t>(cap / 2, 1));
  for (auto it = pending_.rbegin(); it != pending_.rend() && model_pending_.size() < pending_room;
       ++it) {
    model_pending_.push_back(it->second);
  }
  std::reverse(model_pending_.begin(), model_pending_.end());
  const std::size_t room = cap - std::min(cap, model_pending_.size());
  if (observations_.size() <= room) {
    for (std::size_t i = 0; i < observations_.size(); ++i) model_observations_.push_back(i);
    return;
  }
  // Bounded: the best half (where the optimum is being refined) and the newest half (where the
  // search is now); deterministic, so a resumed campaign replays the same choices.
  std::vector<std::size_t> by_value;
  for (std::size_t i = 0; i < observations_.size(); ++i) {
    if (observations_[i].value) by_value.push_back(i);
  }
  const std::size_t best_count = std::min(by_value.size(), room / 2);
  std::partial_sort(by_value.begin(), by_value.begin() + static_cast<std::ptrdiff_t>(best_count),
                    by_value.end(), [&](std::size_t a, std::size_t b) {
                      return *observations_[a].value > *observations_[b].value;
                    });
  std::vector<bool> chosen(observations_.size(), false);
  for (std::size_t k = 0; k < best_count; ++k) chosen[by_value[k]] = true;
  std::size_t count = best_count;
  for (std::size_t i = observations_.size(); i-- > 0 && count < room;) {
    if (!chosen[i]) {
      chosen[i] = true;
      ++count;
    }
  }
  for (std::size_t i = 0; i < observations_.size(); ++i) {
    if (chosen[i]) model_observations_.push_back(i);
  }
}

void BayesianOptimization::refit_if_needed() {
  if (observations_.size() == fitted_observations_ && gp_.ready()) return;
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
  training_data(0, &x, &y);
  gp_.fit(x, y, rng_, options_.fit);
  fitted_observations_ = observations_.size();
}

std::optional<double> BayesianOptimization::best_value() const {
  std::optional<double> best;
  for (const auto& o : observations_) {
    if (o.value && (!best || *o.value > *best)) best = o.value;
  }
  return best;
}

double BayesianOptimization::posterior_incumbent(double best) const {
  // The posterior mean's maximum over the observed points lies among the best observations
  // unless the noise exceeds the spread of the best 32: predicting there alone keeps an ask at
  // O(32 n^2) instead of O(n^3) with n in the thousands (hundreds of workers).
  constexpr std::size_t kIncumbentCandidates = 32;
  if (!gp_.ready()) return best;
  const std::vector<std::vector<double>> candidates = incumbents(kIncumbentCandidates);
  if (candidates.empty()) return best;
  Eigen::MatrixXd x(static_cast<Eigen::Index>(candidates.size()), features_.feature_dim());
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    x.row(static_cast<Eigen::Index>(i)) = features_.features(candidates[i]).transpose();
  }
  Eigen::VectorXd mean;
  Eigen::VectorXd variance;
  gp_.predict_batch(x, &mean, &variance);
  return mean.allFinite() ? mean.maxCoeff() : best;
}

BayesianOptimization::Proposal BayesianOptimization::sync_slot_kind(int slot) const {
  const SyncBatchOptions& b = options_.sync_batch;
  if (slot == 0) return Proposal::kGlobal;
  if (slot <= b.mean_points) return Proposal::kMean;
  if (slot <= b.mean_points + b.local_points) return Proposal::kLocal;
  return Proposal::kGlobal;
}

void BayesianOptimization::update_trust_region() {
  const SyncBatchOptions& b = options_.sync_batch;
  const std::optional<double> best = best_value();
  if (!gp_.ready() || !best) {
    tr_last_best_ = best;
    return;  // the design is not done: nothing to adapt yet
  }
  if (tr_last_best_) {
    // TuRBO counts a batch a success when it improved the best by a little (1e-3 |best|).
    if (*best > *tr_last_best_ + 1e-3 * std::fabs(*tr_last_best_)) {
      ++tr_successes_;
      tr_failures_ = 0;
    } else {
      ++tr_failures_;
      tr_successes_ = 0;
    }
    if (tr_successes_ >= b.success_tolerance) {
      tr_length_ = std::min(2.0 * tr_length_, b.length_max);
      tr_successes_ = 0;
    } else if (tr_failures_ >= b.failure_tolerance) {
      tr_length_ /= 2.0;
      tr_failures_ = 0;
    }
    if (tr_length_ < b.length_min) tr_length_ = b.length_init;
  }
  tr_last_best_ = best;
}

void BayesianOptimization::trust_region(const std::vector<double>& center,
                                        std::vector<double>* lower,
                                        std::vector<double>* upper) const {
  const auto d = center.size();
  lower->assign(d, 0.0);
  upper->assign(d, 1.0);
  const Eigen::VectorXd& log_l = gp_.hyperparameters().log_lengthscales;
  std::vector<double> log_scale;
  for (std::size_t k = 0; k < d; ++k) {
    if (features_.is_continuous(static_cast<int>(k))) {
      log_scale.push_back(log_l(features_.feature_index(static_cast<int>(k))));
    }
  }
  if (log_scale.empty()) return;
  double mean_log = 0.0;
  for (double v : log_scale) mean_log += v;
  mean_log /= static_cast<double>(log_scale.size());
  std::size_t j = 0;
  for (std::size_t k = 0; k < d; ++k) {
    if (!features_.is_continuous(static_cast<int>(k))) continue;
    const double half = 0.5 * tr_length_ * std::exp(log_scale[j++] - mean_log);
    (*lower)[k] = std::clamp(center[k] - half, 0.0, 1.0);
    (*upper)[k] = std::clamp(center[k] + half, 0.0, 1.0);
  }
}

std::vector<double> BayesianOptimization::propose(Proposal kind) {
  std::vector<double> observed;
  for (const auto& o : observations_) {
    if (o.value) observed.push_back(*o.value);
  }
  if (observed.size() < 2) return random_point();
  select_model_data();
  refit_if_needed();

  ValueSummary values;
  values.best = *std::max_element(observed.begin(), observed.end());
  values.worst = *std::min_element(observed.begin(), observed.end());
  for (double v : observed) values.mean += v;
  values.mean /= static_cast<double>(observed.size());
  // EI's incumbent is the best posterior mean at an observed point, not the best noisy
  // observation: the plug-in of noisy expected improvement (Letham, Karrer, Ottoni & Bakshy 2019,
  // "Constrained Bayesian optimization with noisy experiments"). With lm_eval's standard error a
  // lucky measurement sets a bar above every point's true value, and EI then undervalues the
  // neighbourhood of the truly best points. Without noise the two agree.
  if (gp_.size() != static_cast<int>(model_observations_.size())) {
    Eigen::MatrixXd x;
    Eigen::VectorXd y;
    training_data(0, &x, &y);
    gp_.condition(x, y);  // the last ask's lies out: the incumbent is of the real data
  }
  values.incumbent = posterior_incumbent(values.best);
  last_incumbent_ = values.incumbent;

  const bool fantasize =
      options_.synchronous && options_.sync_batch.fantasies > 0 && !model_pending_.empty();
  condition_on_lies(values, fantasize);
  std::vector<std::vector<double>> seeds = incumbents(5);
  Fantasies fantasies = fantasize ? sample_fantasies(values.incumbent) : Fantasies{};

  AcquisitionSearchOptions search = options_.search;
  if (kind == Proposal::kLocal && !seeds.empty()) {
    trust_region(seeds.front(), &search.lower, &search.upper);
    seeds.resize(1);
  }
  // The posterior mean is UCB with beta = 0.
  std::vector<const GaussianProcess*> models;
  for (const GaussianProcess& g : fantasies.models) models.push_back(&g);
  if (models.empty()) {
    models.push_back(&gp_);
    fantasies.bests.push_back(values.incumbent);
  }
  const Acquisition acquisition =
      kind == Proposal::kMean
          ? Acquisition(models, fantasies.bests, AcquisitionKind::kUcb, 0.0)
          : Acquisition(models, fantasies.bests, options_.acquisition, options_.ucb_beta);
  const auto point = maximize_acquisition(
      acquisition, features_, seeds,
      [this](const std::vector<double>& u) { return is_duplicate(u); }, rng_, search);
  return point ? *point : random_point();
}

void BayesianOptimization::condition_on_lies(const ValueSummary& values, bool sample_fantasies) {
  if (!model_pending_.empty() && !sample_fantasies) {
    // Fantasize the pending points at the lie, hyperparameters fixed (constant liar).
    const auto n = static_cast<Eigen::Index>(model_observations_.size());
    Eigen::MatrixXd x;
    Eigen::VectorXd y;
    training_data(static_cast<Eigen::Index>(model_pending_.size()), &x, &y);
    // Kriging believer: each pending point at the prediction of the GP conditioned on the data
    // and the points before it. An observation equal to the posterior mean leaves the posterior
    // mean unchanged (the update is proportional to y_k - mu(x_k) = 0), so every lie is the
    // prediction of the GP on the real data alone: one conditioning per ask instead of one per
    // pending point, which made an ask cost O(P^4) with P workers (bench/scaling, P = 1024).
    if (options_.liar == Liar::kKrigingBeliever) gp_.condition(x.topRows(n), y.head(n));
    Eigen::Index row = n;
    for (const auto& unit : model_pending_) {
      const Eigen::VectorXd f = features_.features(unit);
      x.row(row) = f.transpose();
      switch (options_.liar) {
        case Liar::kBest:
          y(row) = values.best;
          break;
        case Liar::kWorst:
          y(row) = values.worst;
          break;
        case Liar::kMean:
          y(row) = values.mean;
          break;
        case Liar::kKrigingBeliever:
          y(row) = gp_.predict(f).mean;
          break;
      }
      ++row;
    }
    gp_.condition(x, y);
  }
}

std::vector<std::vector<double>> BayesianOptimization::incumbents(std::size_t count) const {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < observations_.size(); ++i) {
    if (observations_[i].value) order.push_back(i);
  }
  const std::size_t keep = std::min(count, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(),
                    [&](std::size_t a, std::size_t b) {
                      return *observations_[a].value > *observations_[b].value;
                    });
  std::vector<std::vector<double>> best;
  for (std::size_t i = 0; i < keep; ++i) best.push_back(observations_[order[i]].unit);
  return best;
}

// Monte-Carlo fantasies: each model is the GP conditioned on one joint posterior sample at the
// pending points, drawn point by point (sample, condition, sample the next), hyperparameters
// fixed; its incumbent is the best of the data and its own fantasized values.
BayesianOptimization::Fantasies BayesianOptimization::sample_fantasies(double best) {
  Fantasies fantasies;
  const auto n = static_cast<Eigen::Index>(model_observations_.size());
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
  training_data(static_cast<Eigen::Index>(model_pending_.size()), &x, &y);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (int s = 0; s < options_.sync_batch.fantasies; ++s) {
    GaussianProcess g = gp_;
    double b = best;
    Eigen::Index row = n;
    for (const auto& unit : model_pending_) {
      const Eigen::VectorXd f = features_.features(unit);
      const Prediction p = g.predict(f);
      x.row(row) = f.transpose();
      y(row) = p.mean + std::sqrt(std::max(p.variance, 0.0)) * normal(rng_);
      b = std::max(b, y(row));
      ++row;
      g.condition(x.topRows(row), y.head(row));
    }
    fantasies.models.push_back(std::move(g));
    fantasies.bests.push_back(b);
  }
  return fantasies;
}

}  // namespace lorahpo
