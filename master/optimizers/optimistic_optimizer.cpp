#include "master/optimizers/optimistic_optimizer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include <cereal/archives/binary.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

namespace lorahpo {
namespace {

constexpr double kNegativeInfinity = -std::numeric_limits<double>::infinity();
/// async: the placeholder of a node nothing above it has scored yet (the root, at the start):
/// below every real value, yet above "no candidate", so the root can be expanded while pending.
constexpr double kUnscored = std::numeric_limits<double>::lowest();
/// async: the most pass steps one decision may take (each grows the tree or moves the cursor);
/// past it the decision gives up and ask() returns what it has.
constexpr int kMaxDecisionSteps = 100000;

bool known(const PartitionNode& node) {
  return node.kind != NodeValue::kUnknown;
}

/// The coordinates the tree splits between values (PartitionTree): every categorical, and an
/// integer of at most K^2 values. A continuous K-ary split of an integer of c > K^2 values puts
/// the K children of the first two levels in different bins; with fewer, two cells would share a
/// value by the second level. Larger integers keep the continuous split (so campaigns over
/// lora_r in [2, 512] and lora_alpha in [1, 64] propose what they proposed), and a deep cell
/// whose centre rounds to a point already taken inherits that point instead (expand()).
std::vector<std::int64_t> discrete_values(const SearchSpace& space, int k) {
  std::vector<std::int64_t> values;
  for (const Parameter& p : space.parameters()) {
    const std::int64_t c = p.cardinality();
    const bool discrete = p.type == ParamType::kCategorical ||
                          (p.type == ParamType::kInt && c <= static_cast<std::int64_t>(k) * k);
    values.push_back(discrete && c >= 2 ? c : 0);
  }
  return values;
}

/// The integers discrete_values() leaves to the continuous split: their number of values.
std::vector<std::int64_t> integer_bins(const SearchSpace& space, int k) {
  const std::vector<std::int64_t> discrete = discrete_values(space, k);
  std::vector<std::int64_t> bins;
  for (int i = 0; i < space.dim(); ++i) {
    const Parameter& p = space.parameter(i);
    bins.push_back(p.type == ParamType::kInt && discrete[static_cast<std::size_t>(i)] == 0
                       ? p.cardinality()
                       : 0);
  }
  return bins;
}

}  // namespace

OptimisticOptimizer::OptimisticOptimizer(SearchSpace space, OptimisticOptions options,
                                         std::mt19937_64 rng)
    : space_(std::move(space)),
      options_(options),
      rng_(std::move(rng)),
      features_(space_),
      gp_(features_.feature_dim()),
      tree_(discrete_values(space_, options.k), options.k, integer_bins(space_, options.k)) {
  for (const Parameter& p : space_.parameters()) {
    rounded_ = rounded_ || p.type != ParamType::kFloat;
  }
  queue_.push_back(0);  // the root's centre first
  remember_point(0);
}

void OptimisticOptimizer::remember_point(int id) {
  if (rounded_) points_.emplace(space_.snap(tree_.node(id).center), id);
}

double OptimisticOptimizer::effective_value(const PartitionNode& node, double worst) const {
  switch (node.kind) {
    case NodeValue::kEvaluated:
    case NodeValue::kApproximated:
      return node.value;
    case NodeValue::kFailed:
      return worst;
    case NodeValue::kUnknown:
      break;
  }
  return kNegativeInfinity;
}

double OptimisticOptimizer::worst_value() const {
  double worst = std::numeric_limits<double>::infinity();
  for (int id = 0; id < tree_.size(); ++id) {
    const PartitionNode& node = tree_.node(id);
    if (node.kind == NodeValue::kEvaluated) worst = std::min(worst, node.value);
  }
  return std::isfinite(worst) ? worst : kNegativeInfinity;
}

double OptimisticOptimizer::best_known(double worst) const {
  double best = kNegativeInfinity;
  for (int id = 0; id < tree_.size(); ++id)
    best = std::max(best, effective_value(tree_.node(id), worst));
  return best;
}

double OptimisticOptimizer::inherited_placeholder(int id, double worst) const {
  for (int a = id; a >= 0; a = tree_.node(a).parent) {
    if (known(tree_.node(a))) return effective_value(tree_.node(a), worst);
  }
  return kUnscored;
}

int OptimisticOptimizer::h_max(std::int64_t scored) const {
  return static_cast<int>(std::floor(
      std::pow(static_cast<double>(std::max<std::int64_t>(scored, 1)), options_.depth_exponent)));
}

template <class Eligible, class Value>
int OptimisticOptimizer::best_leaf_at(int h, const Eligible& eligible, const Value& value) const {
  int best = -1;
  double best_value = kNegativeInfinity;
  for (int id = 0; id < tree_.size(); ++id) {
    const PartitionNode& node = tree_.node(id);
    if (node.depth != h || !node.is_leaf() || !eligible(id)) continue;
    const double v = value(id);
    if (best < 0 || v > best_value) {
      best = id;
      best_value = v;
    }
  }
  return best;
}

template <class Eligible, class Value>
std::vector<int> OptimisticOptimizer::select_pass(int deepest, const Eligible& eligible,
                                                  const Value& value) const {
  // Best leaf per depth, in one scan of the tree.
  std::vector<int> best_at(static_cast<std::size_t>(tree_.depth() + 1), -1);
  std::vector<double> best_value(best_at.size(), kNegativeInfinity);
  for (int id = 0; id < tree_.size(); ++id) {
    const PartitionNode& node = tree_.node(id);
    if (!node.is_leaf() || !eligible(id)) continue;
    const auto h = static_cast<std::size_t>(node.depth);
    const double v = value(id);
    if (best_at[h] < 0 || v > best_value[h]) {
      best_at[h] = id;
      best_value[h] = v;
    }
  }
  std::vector<int> selected;
  double v_max = kNegativeInfinity;
  for (int h = 0; h <= deepest; ++h) {
    const int id = best_at[static_cast<std::size_t>(h)];
    if (id < 0) continue;
    const double v = best_value[static_cast<std::size_t>(h)];
    if (v > v_max || (selected.empty() && v_max == kNegativeInfinity)) {
      selected.push_back(id);
      v_max = v;
    }
  }
  if (selected.empty()) {  // every leaf is deeper than h_max: the best shallowest one
    for (int id : best_at) {
      if (id >= 0) {
        selected.push_back(id);
        break;
      }
    }
  }
  return selected;
}

std::vector<Suggestion> OptimisticOptimizer::ask(int n) {
  if (options_.parallel != PartitionParallel::kAsync) {
    // A sweep starts only when the previous batch is complete; a BaMSOO sweep whose children were
    // all approximated asks for nothing, so sweep again (bounded: each sweep grows the tree).
    for (int sweeps = 0; queue_.empty() && pending_.empty() && sweeps < 10000; ++sweeps) {
      const int before = tree_.size();
      sweep(n);
      if (tree_.size() == before) break;  // nothing left to split (a small discrete space)
    }
  }
  std::vector<Suggestion> batch;
  while (static_cast<int>(batch.size()) < n) {
    if (queue_.empty() && (options_.parallel != PartitionParallel::kAsync || !decide())) break;
    const int id = queue_.front();
    queue_.pop_front();
    pending_[next_ticket_] = id;
    batch.push_back(Suggestion{next_ticket_++, tree_.node(id).center});
  }
  return batch;
}

nlohmann::json OptimisticOptimizer::annotation(std::int64_t ticket) const {
  const auto it = pending_.find(ticket);
  if (it == pending_.end()) return nullptr;
  nlohmann::json annotation{{"depth", tree_.node(it->second).depth}};
  // BaMSOO: the bound that let the point be evaluated, as decided (UCB >= f+).
  const auto bound = bound_decisions_.find(it->second);
  if (bound != bound_decisions_.end()) {
    const std::vector<double>& b = bound->second;
    annotation["mu"] = b[0];
    annotation["sigma"] = b[1];
    annotation["ucb"] = b[2];
    annotation["f_plus"] = b[3];
    annotation["beta"] = b[4];
  }
  return annotation;
}

void OptimisticOptimizer::tell(std::int64_t ticket, std::optional<double> value) {
  const auto it = pending_.find(ticket);
  if (it == pending_.end()) return;
  record(it->second, value);
  bound_decisions_.erase(it->second);
  pending_.erase(it);
  ++evaluations_;
}

void OptimisticOptimizer::record(int id, std::optional<double> value) {
  const NodeValue kind = value ? NodeValue::kEvaluated : NodeValue::kFailed;
  // async expands pending nodes: their middle descendants share the point, and the result.
  for (int other = 0; other < tree_.size(); ++other) {
    PartitionNode& node = tree_.node(other);
    if (other != id && node.inherited_from != id) continue;
    node.kind = kind;
    node.value = value.value_or(0.0);
    placeholder_cache_.erase(other);
  }
}

void OptimisticOptimizer::refit_gp(double worst, bool force) {
  // The GP sees the real evaluations only (failed ones at the worst value).
  std::vector<int> data;
  std::vector<double> values;
  for (int id = 0; id < tree_.size(); ++id) {
    const PartitionNode& node = tree_.node(id);
    if ((node.kind == NodeValue::kEvaluated || node.kind == NodeValue::kFailed) &&
        node.inherited_from < 0) {
      data.push_back(id);
      values.push_back(effective_value(node, worst));
    }
  }
  if (data.size() < 2) return;
  if (!force && data == gp_data_ && values == gp_values_) return;
  Eigen::MatrixXd x(static_cast<Eigen::Index>(data.size()), features_.feature_dim());
  Eigen::VectorXd y(static_cast<Eigen::Index>(data.size()));
  for (std::size_t i = 0; i < data.size(); ++i) {
    x.row(static_cast<Eigen::Index>(i)) =
        features_.features(tree_.node(data[i]).center).transpose();
    y(static_cast<Eigen::Index>(i)) = values[i];
  }
  gp_.fit(x, y, rng_, options_.fit);
  gp_data_ = std::move(data);
  gp_values_ = std::move(values);
  placeholder_cache_.clear();
}

void OptimisticOptimizer::sweep(int wanted) {
  const double worst = worst_value();
  // Only the leaves scored when the sweep starts are candidates, by their values then.
  const int existing = tree_.size();
  // A single point of a discrete space cannot be split: it is never picked (else the search
  // would stall on it).
  const auto eligible = [&](int id) {
    return id < existing && known(tree_.node(id)) && tree_.splittable(id);
  };
  const auto value = [&](int id) { return effective_value(tree_.node(id), worst); };
  // n counts every scored node, approximated ones included (Wang et al. 2014, Alg. 1; the seed's
  // Alg. 3.4 increments n for each child): counting real evaluations only would freeze h_max
  // while BaMSOO approximates, and the sweeps would fill the shallow levels breadth-first.
  const int deepest = std::min(tree_.depth(), h_max(evaluations_ + approximated_total_));
  std::vector<int> selected = select_pass(deepest, eligible, value);
  if (selected.empty()) return;  // no known leaf: nothing can be decided

  double f_plus = kNegativeInfinity;
  if (options_.bayesian) {
    f_plus = best_known(worst);
    refit_gp(worst, /*force=*/true);
  }
  // wide: a sweep ends once it has decided `wanted` new cells, sent to evaluation or (BaMSOO)
  // ruled out by the bound: counting only the evaluated ones, a confident GP would make it
  // approximate whole levels to find work for every worker.
  const std::size_t decided_before = queue_.size() + approximations_.size();
  const auto served = [&] {
    return options_.parallel != PartitionParallel::kWide ||
           queue_.size() + approximations_.size() - decided_before >=
               static_cast<std::size_t>(std::max(wanted, 1));
  };
  bool first_pass = true;
  while (!selected.empty()) {
    for (int id : selected) {
      // The first pass is SOO's sweep, whole; a further pass stops when the workers are served.
      if (!first_pass && served()) return;
      expand(id, &f_plus);
    }
    if (served()) return;
    // wide: another pass over the leaves no pass took (expanded nodes are no longer leaves).
    first_pass = false;
    selected = select_pass(deepest, eligible, value);
  }
  // The leaves it started with are all taken and the workers are not all served (the first
  // sweeps of a small tree): the cells this sweep created are split in turn, in the order they
  // were made, so an expansion goes two or more levels deep (more children per expansion).
  for (int id = existing; id < tree_.size() && !served(); ++id) {
    if (tree_.node(id).is_leaf() && tree_.node(id).kind != NodeValue::kApproximated &&
        tree_.splittable(id)) {
      expand(id, &f_plus);
    }
  }
}

bool OptimisticOptimizer::decide() {
  // No result arrives during a decision and expansions add no real evaluation: the worst value
  // and the GP's data are those of its start.
  const double worst = worst_value();
  if (options_.bayesian) refit_gp(worst, /*force=*/false);
  const auto eligible = [&](int id) { return tree_.splittable(id); };
  const auto value = [&](int id) {
    const PartitionNode& node = tree_.node(id);
    if (known(node)) return effective_value(node, worst);
    if (!options_.bayesian || !gp_.ready()) return inherited_placeholder(id, worst);
    const auto cached = placeholder_cache_.find(id);
    if (cached != placeholder_cache_.end()) return cached->second;
    const double mean = gp_.predict(features_.features(node.center)).mean;
    placeholder_cache_[id] = mean;
    return mean;
  };
  for (int step = 0; step < kMaxDecisionSteps; ++step) {
    // n counts the nodes scored or being scored: with hundreds of points pending and few
    // results, h_max would otherwise stay at 1 and the passes would fill level 1, then 2, ...
    const std::int64_t scored =
        evaluations_ + static_cast<std::int64_t>(pending_.size()) + approximated_total_;
    const int deepest = std::min(tree_.depth(), h_max(scored));
    if (cursor_depth_ > deepest) {  // the pass is over
      const bool expanded = pass_expanded_;
      cursor_depth_ = 0;
      cursor_v_max_ = kNegativeInfinity;
      pass_expanded_ = false;
      if (expanded) continue;
      // It expanded nothing (every leaf deeper than h_max): the best shallowest leaf.
      int id = -1;
      for (int h = 0; id < 0 && h <= tree_.depth(); ++h) id = best_leaf_at(h, eligible, value);
      if (id < 0) return false;
      double f_plus = best_known(worst);
      expand(id, &f_plus);
      if (!queue_.empty()) return true;
      continue;
    }
    const int h = cursor_depth_++;
    const int id = best_leaf_at(h, eligible, value);
    if (id < 0) continue;
    const double v = value(id);
    if (v > cursor_v_max_ || (!pass_expanded_ && cursor_v_max_ == kNegativeInfinity)) {
      double f_plus = best_known(worst);
      expand(id, &f_plus);
      cursor_v_max_ = v;
      pass_expanded_ = true;
      if (!queue_.empty()) return true;
    }
  }
  return false;
}

void OptimisticOptimizer::expand(int id, double* f_plus) {
  const std::vector<int> children = tree_.expand(id);
  std::vector<int> fresh;
  for (int child : children) {
    if (tree_.node(child).inherited_from >= 0) continue;
    if (rounded_) {
      // A centre that rounds to a point already evaluated, pending or queued (a deep cell of a
      // large integer) shares that point and its value, as a middle child shares its parent's:
      // the same values are never run twice.
      const auto taken = points_.emplace(space_.snap(tree_.node(child).center), child);
      if (!taken.second) {
        PartitionNode& node = tree_.node(child);
        const PartitionNode& owner = tree_.node(taken.first->second);
        node.kind = owner.kind;
        node.value = owner.value;
        node.inherited_from = taken.first->second;
        continue;
      }
    }
    fresh.push_back(child);
  }
  if (options_.bayesian && gp_.ready()) {
    score_children(fresh, f_plus);
  } else {
    queue_.insert(queue_.end(), fresh.begin(), fresh.end());
  }
}

void OptimisticOptimizer::score_children(const std::vector<int>& children, double* f_plus) {
  for (int child : children) {
    PartitionNode& node = tree_.node(child);
    ++bound_uses_;
    const double n = static_cast<double>(bound_uses_);
    const double beta = std::sqrt(2.0 * std::log(M_PI * M_PI * n * n / (6.0 * options_.eta)));
    const Prediction p = gp_.predict(features_.features(node.center));
    const double sigma = std::sqrt(p.variance);
    const double ucb = p.mean + beta * sigma;
    if (ucb >= *f_plus) {
      bound_decisions_[child] = {p.mean, sigma, ucb, *f_plus, beta};
      queue_.push_back(child);
      continue;
    }
    const double lcb = p.mean - beta * sigma;
    node.kind = NodeValue::kApproximated;
    node.value = lcb;
    approximations_.push_back(
        Approximation{node.center, p.mean, sigma, lcb, ucb, *f_plus, beta, node.depth});
    ++approximated_total_;
    *f_plus = std::max(*f_plus, lcb);
  }
}

std::vector<Approximation> OptimisticOptimizer::take_approximations() {
  std::vector<Approximation> out;
  out.swap(approximations_);
  return out;
}

std::vector<UnevaluatedPoint> OptimisticOptimizer::take_unevaluated() {
  std::vector<UnevaluatedPoint> out;
  for (const Approximation& a : take_approximations()) {
    out.push_back(UnevaluatedPoint{a.unit,
                                   {{"mu", a.mean},
                                    {"sigma", a.sigma},
                                    {"lcb", a.lcb},
                                    {"ucb", a.ucb},
                                    {"f_plus", a.f_plus},
                                    {"beta", a.beta},
                                    {"depth", a.depth}}});
  }
  return out;
}

std::string OptimisticOptimizer::snapshot() const {
  std::ostringstream stream;
  {
    cereal::BinaryOutputArchive archive(stream);
    std::ostringstream rng_text;
    rng_text << rng_;
    // The GP's hyperparameters start the next fit: they are part of the state.
    const Eigen::VectorXd theta = gp_.hyperparameters().to_vector();
    const std::vector<double> hyper(theta.data(), theta.data() + theta.size());
    archive(tree_, queue_, pending_, next_ticket_, evaluations_, bound_uses_, approximated_total_,
            rng_text.str(), hyper, cursor_depth_, cursor_v_max_, pass_expanded_, gp_data_,
            gp_values_, bound_decisions_);
  }
  return stream.str();
}

void OptimisticOptimizer::restore(const std::string& bytes) {
  std::istringstream stream(bytes);
  cereal::BinaryInputArchive archive(stream);
  std::string rng_text;
  std::vector<double> hyper;
  archive(tree_, queue_, pending_, next_ticket_, evaluations_, bound_uses_, approximated_total_,
          rng_text, hyper, cursor_depth_, cursor_v_max_, pass_expanded_, gp_data_, gp_values_,
          bound_decisions_);
  std::istringstream rng_stream(rng_text);
  rng_stream >> rng_;
  points_.clear();
  for (int id = 0; id < tree_.size(); ++id) {
    if (tree_.node(id).inherited_from < 0) remember_point(id);
  }
  gp_ = GaussianProcess(features_.feature_dim());
  gp_.set_hyperparameters(GpHyperparameters::from_vector(
      Eigen::Map<const Eigen::VectorXd>(hyper.data(), static_cast<Eigen::Index>(hyper.size()))));
  // The posterior of the last fit (async BaMSOO predicts with it until the next result).
  placeholder_cache_.clear();
  if (gp_data_.size() >= 2) {
    Eigen::MatrixXd x(static_cast<Eigen::Index>(gp_data_.size()), features_.feature_dim());
    for (std::size_t i = 0; i < gp_data_.size(); ++i) {
      x.row(static_cast<Eigen::Index>(i)) =
          features_.features(tree_.node(gp_data_[i]).center).transpose();
    }
    gp_.set_data(x, Eigen::Map<const Eigen::VectorXd>(
                        gp_values_.data(), static_cast<Eigen::Index>(gp_values_.size())));
  }
}

}  // namespace lorahpo
