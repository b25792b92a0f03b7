#include "master/optimizers/bo/gp_features.h"

#include <algorithm>
#include <cmath>

namespace lorahpo {

GpFeatureMap::GpFeatureMap(SearchSpace space) : space_(std::move(space)) {
  for (const Parameter& p : space_.parameters()) {
    offsets_.push_back(feature_dim_);
    feature_dim_ += p.type == ParamType::kCategorical ? static_cast<int>(p.choices.size()) : 1;
  }
}

bool GpFeatureMap::is_continuous(int coordinate) const {
  return space_.parameter(coordinate).type != ParamType::kCategorical;
}

Eigen::VectorXd GpFeatureMap::features(const std::vector<double>& unit, bool snap_integers) const {
  Eigen::VectorXd f = Eigen::VectorXd::Zero(feature_dim_);
  const std::vector<double> snapped = space_.snap(unit);
  for (int i = 0; i < space_.dim(); ++i) {
    const Parameter& p = space_.parameter(i);
    const auto u = static_cast<std::size_t>(i);
    const int at = offsets_[u];
    switch (p.type) {
      case ParamType::kFloat:
        f(at) = std::clamp(unit[u], 0.0, 1.0);
        break;
      case ParamType::kInt:
        f(at) = snap_integers ? snapped[u] : std::clamp(unit[u], 0.0, 1.0);
        break;
      case ParamType::kCategorical: {
        const auto n = static_cast<double>(p.choices.size());
        const int k = std::min(static_cast<int>(std::floor(std::clamp(unit[u], 0.0, 1.0) * n)),
                               static_cast<int>(p.choices.size()) - 1);
        f(at + k) = 1.0;
        break;
      }
    }
  }
  return f;
}

}  // namespace lorahpo
