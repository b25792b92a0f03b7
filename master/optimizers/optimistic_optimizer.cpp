#include "master/optimizers/optimistic_optimizer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include <cereal/archives/binary.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>

namespace lorahpo {
namespace {

constexpr double kNegativeInfinity = -std::numeric_limits<double>::infinity();

bool known(const PartitionNode& node) {
  return node.kind != NodeValue::kUnknown;
}

}  // namespace

OptimisticOptimizer::OptimisticOptimizer(SearchSpace space, OptimisticOptions options,
                                         std::mt19937_64 rng)
    : space_(std::move(space)),
      options_(options),
      rng_(std::move(rng)),
      features_(space_),
      gp_(features_.feature_dim()),
      tree_(space_.dim(), options.k) {
  queue_.push_back(0);  // the root's centre first
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

std::vector<Suggestion> OptimisticOptimizer::ask(int n) {
  // A sweep starts only when the previous batch is complete; a BaMSOO sweep whose children were
  // all approximated asks for nothing, so sweep again (bounded: each sweep grows the tree).
  for (int sweeps = 0; queue_.empty() && pending_.empty() && sweeps < 10000; ++sweeps) sweep();
  std::vector<Suggestion> batch;
  while (static_cast<int>(batch.size()) < n && !queue_.empty()) {
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
  return nlohmann::json{{"depth", tree_.node(it->second).depth}};
}

void OptimisticOptimizer::tell(std::int64_t ticket, std::optional<double> value) {
  const auto it = pending_.find(ticket);
  if (it == pending_.end()) return;
  PartitionNode& node = tree_.node(it->second);
  node.kind = value ? NodeValue::kEvaluated : NodeValue::kFailed;
  node.value = value.value_or(0.0);
  pending_.erase(it);
  ++evaluations_;
}

void OptimisticOptimizer::sweep() {
  double worst = std::numeric_limits<double>::infinity();
  for (int id = 0; id < tree_.size(); ++id) {
    const PartitionNode& node = tree_.node(id);
    if (node.kind == NodeValue::kEvaluated) worst = std::min(worst, node.value);
  }
  if (!std::isfinite(worst)) worst = kNegativeInfinity;

  // Best leaf per depth, from the values known now.
  const int depth = tree_.depth();
  std::vector<int> best_at(static_cast<std::size_t>(depth + 1), -1);
  for (int id = 0; id < tree_.size(); ++id) {
    const PartitionNode& node = tree_.node(id);
    if (!node.is_leaf() || !known(node)) continue;
    int& best = best_at[static_cast<std::size_t>(node.depth)];
    if (best < 0 || effective_value(node, worst) > effective_value(tree_.node(best), worst))
      best = id;
  }

  // n counts every scored node, approximated ones included (Wang et al. 2014, Alg. 1; the seed's
  // Alg. 3.4 increments n for each child): counting real evaluations only would freeze h_max
  // while BaMSOO approximates, and the sweeps would fill the shallow levels breadth-first.
  const std::int64_t scored = evaluations_ + approximated_total_;
  const auto h_max = static_cast<int>(std::floor(
      std::pow(static_cast<double>(std::max<std::int64_t>(scored, 1)), options_.depth_exponent)));
  std::vector<int> selected;
  double v_max = kNegativeInfinity;
  for (int h = 0; h <= std::min(depth, h_max); ++h) {
    const int id = best_at[static_cast<std::size_t>(h)];
    if (id < 0) continue;
    const double v = effective_value(tree_.node(id), worst);
    if (v > v_max || (selected.empty() && v_max == kNegativeInfinity)) {
      selected.push_back(id);
      v_max = v;
    }
  }
  if (selected.empty()) {
    for (int id : best_at) {
      if (id >= 0) {
        selected.push_back(id);
        break;
      }
    }
  }
  if (selected.empty()) return;  // no known leaf: nothing can be decided

  double f_plus = kNegativeInfinity;
  if (options_.bayesian) {
    for (int id = 0; id < tree_.size(); ++id) {
      f_plus = std::max(f_plus, effective_value(tree_.node(id), worst));
    }
    // The GP sees the real evaluations only (failed ones at the worst value).
    std::vector<int> data;
    for (int id = 0; id < tree_.size(); ++id) {
      const PartitionNode& node = tree_.node(id);
      if ((node.kind == NodeValue::kEvaluated || node.kind == NodeValue::kFailed) &&
          node.inherited_from < 0) {
        data.push_back(id);
      }
    }
    if (data.size() >= 2) {
      Eigen::MatrixXd x(static_cast<Eigen::Index>(data.size()), features_.feature_dim());
      Eigen::VectorXd y(static_cast<Eigen::Index>(data.size()));
      for (std::size_t i = 0; i < data.size(); ++i) {
        const PartitionNode& node = tree_.node(data[i]);
        x.row(static_cast<Eigen::Index>(i)) = features_.features(node.center).transpose();
        y(static_cast<Eigen::Index>(i)) = effective_value(node, worst);
      }
      gp_.fit(x, y, rng_, options_.fit);
    }
  }

  for (int id : selected) {
    const std::vector<int> children = tree_.expand(id);
    std::vector<int> fresh;
    for (int child : children) {
      if (tree_.node(child).inherited_from < 0) fresh.push_back(child);
    }
    if (options_.bayesian && gp_.ready()) {
      score_children(fresh, &f_plus);
    } else {
      queue_.insert(queue_.end(), fresh.begin(), fresh.end());
    }
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
            rng_text.str(), hyper);
  }
  return stream.str();
}

void OptimisticOptimizer::restore(const std::string& bytes) {
  std::istringstream stream(bytes);
  cereal::BinaryInputArchive archive(stream);
  std::string rng_text;
  std::vector<double> hyper;
  archive(tree_, queue_, pending_, next_ticket_, evaluations_, bound_uses_, approximated_total_,
          rng_text, hyper);
  std::istringstream rng_stream(rng_text);
  rng_stream >> rng_;
  gp_ = GaussianProcess(features_.feature_dim());
  gp_.set_hyperparameters(GpHyperparameters::from_vector(
      Eigen::Map<const Eigen::VectorXd>(hyper.data(), static_cast<Eigen::Index>(hyper.size()))));
}

}  // namespace lorahpo
