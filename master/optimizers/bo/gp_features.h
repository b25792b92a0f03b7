#pragma once

#include <vector>

#include <Eigen/Dense>

#include "common/search_space.h"

namespace lorahpo {

/// What the GP sees of a unit-cube point (Garrido-Merchan & Hernandez-Lobato 2020): floats as
/// they are, integers at the centre of their bin (the value the worker really ran), and each
/// categorical as a one-hot block, so no order is invented between labels.
class GpFeatureMap {
 public:
  explicit GpFeatureMap(SearchSpace space);

  int feature_dim() const { return feature_dim_; }
  const SearchSpace& space() const { return space_; }

  /// Features of a point; integers are snapped to their bin centre when `snap_integers`, else
  /// left continuous (the relaxation a gradient search moves in).
  Eigen::VectorXd features(const std::vector<double>& unit, bool snap_integers = true) const;
  /// True for unit coordinates a gradient search may move (floats and integers).
  bool is_continuous(int coordinate) const;
  /// Feature index of a continuous coordinate (its derivative is 1 there and 0 elsewhere).
  int feature_index(int coordinate) const { return offsets_[static_cast<std::size_t>(coordinate)]; }

 private:
  SearchSpace space_;
  std::vector<int> offsets_;
  int feature_dim_ = 0;
};

}  // namespace lorahpo
