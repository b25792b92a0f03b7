#include "master/campaign/recommendation.h"

#include <cmath>
#include <map>
#include <random>

#include "common/gaussian_process.h"
#include "master/optimizers/bo/gp_features.h"

namespace lorahpo {
namespace {

/// The ok evaluations of one point.
struct Point {
  std::int64_t first_id = -1;
  const TrialRecord* first = nullptr;
  std::vector<double> scores;
  std::optional<double> noiseless;

  double mean() const {
    double sum = 0.0;
    for (double s : scores) sum += s;
    return sum / static_cast<double>(scores.size());
  }
};

/// The point with the best mean observed score (no model).
Recommendation best_observed(const std::map<std::vector<double>, Point>& points, double sign);

Recommendation from_point(const Point& p) {
  Recommendation r;
  r.id = p.first_id;
  r.unit = p.first->unit;
  r.params = p.first->params;
  r.measurements = static_cast<int>(p.scores.size());
  r.observed_mean = p.mean();
  r.noiseless = p.noiseless;
  return r;
}

Recommendation best_observed(const std::map<std::vector<double>, Point>& points, double sign) {
  const Point* best = nullptr;
  for (const auto& [unit, p] : points) {
    if (best == nullptr || sign * p.mean() > sign * best->mean()) best = &p;
  }
  Recommendation r = from_point(*best);
  r.from_model = false;
  r.mean = r.observed_mean;
  return r;
}

}  // namespace

std::optional<Recommendation> recommend(const SearchSpace& space,
                                        const std::vector<TrialRecord>& records,
                                        Direction direction, std::uint64_t seed,
                                        std::optional<double> noise_sd) {
  // Points by their unit coordinates: a re-check of a point is the same point. The map's order
  // is the points' order, so ties go to the lexicographically smallest, deterministically.
  std::map<std::vector<double>, Point> points;
  for (const TrialRecord& r : records) {
    if (r.status != TrialStatus::kOk || !r.score || r.retried) continue;
    Point& p = points[r.unit];
    if (p.first == nullptr || r.id < p.first_id) {
      p.first_id = r.id;
      p.first = &r;
    }
    p.scores.push_back(*r.score);
    if (r.metrics.is_object() && r.metrics.contains("noiseless") &&
        r.metrics["noiseless"].is_number()) {
      p.noiseless = r.metrics["noiseless"].get<double>();
    }
  }
  if (points.empty()) return std::nullopt;
  const double sign = direction == Direction::kMaximize ? 1.0 : -1.0;

  if (static_cast<int>(points.size()) < kMinModelPoints) return best_observed(points, sign);

  const GpFeatureMap features(space);
  std::size_t n = 0;
  for (const auto& [unit, p] : points) n += p.scores.size();
  Eigen::MatrixXd x(static_cast<Eigen::Index>(n), features.feature_dim());
  Eigen::VectorXd y(static_cast<Eigen::Index>(n));
  Eigen::Index row = 0;
  for (const auto& [unit, p] : points) {
    const Eigen::VectorXd f = features.features(unit);
    for (double s : p.scores) {
      x.row(row) = f.transpose();
      y(row++) = sign * s;  // the GP maximizes
    }
  }
  GaussianProcess gp(features.feature_dim());
  std::mt19937_64 rng(seed ^ 0x7265636f6d6d656eULL);  // its own stream: "recommen"
  GpFitOptions options;
  options.restarts = 4;  // once per campaign: afford a careful fit
  if (noise_sd && std::isfinite(*noise_sd) && *noise_sd > 0.0) {
    options.noise_variances = Eigen::VectorXd::Constant(y.size(), *noise_sd * *noise_sd);
  }
  if (gp.fit(x, y, rng, options) != FitStatus::kOk || !gp.ready()) {
    return best_observed(points, sign);  // no model of these scores
  }
  const Point* best = nullptr;
  Prediction best_prediction;
  for (const auto& [unit, p] : points) {
    const Prediction prediction = gp.predict(features.features(unit));
    if (best == nullptr || prediction.mean > best_prediction.mean) {
      best = &p;
      best_prediction = prediction;
    }
  }
  Recommendation r = from_point(*best);
  r.mean = sign * best_prediction.mean;
  r.sd = std::sqrt(std::max(0.0, best_prediction.variance));
  return r;
}

nlohmann::ordered_json to_json(const Recommendation& r, const SearchSpace& space) {
  nlohmann::ordered_json json;
  json["id"] = r.id;
  json["params"] = space.to_json(r.params);
  json["rule"] = r.from_model ? "gp_posterior_mean" : "best_observed_mean";
  // Null without a model (nlohmann 3.9, Debian 11's, has no conditional of json and nullptr).
  json["posterior_mean"] = nullptr;
  json["posterior_sd"] = nullptr;
  if (r.from_model) {
    json["posterior_mean"] = r.mean;
    json["posterior_sd"] = r.sd;
  }
  json["measurements"] = r.measurements;
  json["observed_mean"] = r.observed_mean;
  if (r.noiseless) json["noiseless"] = *r.noiseless;
  json["noise"] = to_json(r.noise);
  return json;
}

}  // namespace lorahpo
